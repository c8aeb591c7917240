using System.Threading.Channels;

namespace QuayGateway.Rollout;

/// <summary>
/// A controller-style work queue: one pending item per key, an item arriving for a waiting key is merged into it (by
/// default the newer replaces the older: a status is a snapshot, so older ones are worthless), a key is never processed
/// by two workers at once (per-registry order), and different keys run in parallel.
/// </summary>
public sealed class KeyedWorkQueue<T>(int workers, Func<T, CancellationToken, Task> process, ILogger logger, Func<T, T, T>? merge = null)
{
    private readonly Channel<string> _ready = Channel.CreateUnbounded<string>();
    private readonly Dictionary<string, T> _latest = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public void Add(string key, T item)
    {
        lock (_gate)
        {
            var alreadyWaiting = _latest.TryGetValue(key, out var waiting);
            _latest[key] = alreadyWaiting && merge is not null ? merge(waiting!, item) : item;
            if (!alreadyWaiting && !_inFlight.Contains(key))
            {
                _ready.Writer.TryWrite(key);
            }
        }
    }

    public Task RunAsync(CancellationToken ct) => Task.WhenAll(Enumerable.Range(0, workers).Select(_ => WorkAsync(ct)));

    private async Task WorkAsync(CancellationToken ct)
    {
        await foreach (var key in _ready.Reader.ReadAllAsync(ct))
        {
            T item;
            lock (_gate)
            {
                if (!_latest.Remove(key, out item!))
                {
                    continue;
                }

                _inFlight.Add(key);
            }

            try
            {
                await process(item, ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                logger.LogError(e, "Processing {Key} failed; the next event or resync retries it", key);
            }
            finally
            {
                lock (_gate)
                {
                    _inFlight.Remove(key);
                    if (_latest.ContainsKey(key))
                    {
                        _ready.Writer.TryWrite(key); // a newer item arrived while this one ran
                    }
                }
            }
        }
    }
}
