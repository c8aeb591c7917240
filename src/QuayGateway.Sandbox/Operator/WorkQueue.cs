namespace QuayGateway.Sandbox.Operator;

/// <summary>
/// A controller work queue: a key is queued at most once, and never handed to two workers at the same time;
/// a key added while it is being processed is processed again afterwards.
/// </summary>
internal sealed class WorkQueue : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Queue<string> _queue = new();
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly HashSet<string> _processing = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _available = new(0);

    public void Add(string key)
    {
        lock (_gate)
        {
            if (!_dirty.Add(key) || _processing.Contains(key))
            {
                return;
            }

            _queue.Enqueue(key);
        }

        _available.Release();
    }

    /// <summary>Blocks until a key is ready: the workers are dedicated threads (see <see cref="QuayOperator"/>).</summary>
    public string Take(CancellationToken cancellationToken)
    {
        _available.Wait(cancellationToken);
        lock (_gate)
        {
            var key = _queue.Dequeue();
            _dirty.Remove(key);
            _processing.Add(key);
            return key;
        }
    }

    public void Dispose() => _available.Dispose();

    public void Done(string key)
    {
        lock (_gate)
        {
            _processing.Remove(key);
            if (!_dirty.Contains(key))
            {
                return;
            }

            _queue.Enqueue(key);
        }

        _available.Release();
    }
}
