namespace QuayGateway.Sandbox.Operator;

/// <summary>
/// A controller work queue: a key is queued at most once, and never handed to two workers at the same time;
/// a key added while it is being processed is processed again afterwards.
/// </summary>
internal sealed class WorkQueue : IDisposable
{
    private readonly Lock gate = new();
    private readonly Queue<string> queue = new();
    private readonly HashSet<string> dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> processing = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim available = new(0);

    public void Add(string key)
    {
        lock (gate)
        {
            if (!dirty.Add(key) || processing.Contains(key))
            {
                return;
            }

            queue.Enqueue(key);
        }

        available.Release();
    }

    /// <summary>Blocks until a key is ready: the workers are dedicated threads (see <see cref="QuayOperator"/>).</summary>
    public string Take(CancellationToken cancellationToken)
    {
        available.Wait(cancellationToken);
        lock (gate)
        {
            var key = queue.Dequeue();
            dirty.Remove(key);
            processing.Add(key);
            return key;
        }
    }

    public void Dispose() => available.Dispose();

    public void Done(string key)
    {
        lock (gate)
        {
            processing.Remove(key);
            if (!dirty.Contains(key))
            {
                return;
            }

            queue.Enqueue(key);
        }

        available.Release();
    }
}
