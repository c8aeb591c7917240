using System.Threading.Channels;

namespace QuayGateway.Rollout;

/// <summary>
/// A controller-style work queue: one pending item per key, an item arriving for a waiting key is merged into it (by
/// default the newer replaces the older: a status is a snapshot, so older ones are worthless), a key is never processed
/// by two workers at once (per-registry order), and different keys run in parallel. An item whose processing fails (the
/// database down or restarting) waits again, merged with whatever arrives for its key meanwhile, and is processed after a
/// back-off that doubles with each failure of its key, up to <see cref="MaxRetryDelay"/>: news is never dropped because
/// PostgreSQL could not take it just then.
/// </summary>
public sealed class KeyedWorkQueue<T>(int workers, Func<T, CancellationToken, Task> process, ILogger logger, Func<T, T, T>? merge = null,
    TimeSpan? firstRetryDelay = null)
{
    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly Channel<string> _ready = Channel.CreateUnbounded<string>();
    private readonly Dictionary<string, T> _latest = new(StringComparer.Ordinal);
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private readonly HashSet<string> _backingOff = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _failures = new(StringComparer.Ordinal);
    private readonly TimeSpan _firstRetryDelay = firstRetryDelay ?? TimeSpan.FromMilliseconds(500);
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
                lock (_gate)
                {
                    _failures.Remove(key);
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                RetryLater(key, item, e, ct);
            }
            finally
            {
                lock (_gate)
                {
                    _inFlight.Remove(key);
                    if (_latest.ContainsKey(key) && !_backingOff.Contains(key))
                    {
                        _ready.Writer.TryWrite(key); // a newer item arrived while this one ran
                    }
                }
            }
        }
    }

    /// <summary>The failed item waits again (the older of any that arrived meanwhile) and is ready after its back-off.</summary>
    private void RetryLater(string key, T item, Exception failure, CancellationToken ct)
    {
        int failures;
        lock (_gate)
        {
            failures = _failures[key] = _failures.GetValueOrDefault(key) + 1;
            _latest[key] = !_latest.TryGetValue(key, out var newer) ? item : merge is not null ? merge(item, newer!) : newer!;
            _backingOff.Add(key);
        }

        var delay = TimeSpan.FromTicks(Math.Min(MaxRetryDelay.Ticks, _firstRetryDelay.Ticks << Math.Min(failures - 1, 16)));
        // One line per failure, no stack: during a database outage every key fails alike.
        logger.LogWarning("Processing {Key} failed ({Error}: {Message}); retrying in {Delay} (failure {Failures})",
            key, failure.GetType().Name, failure.Message, delay, failures);
        _ = Task.Delay(delay, ct).ContinueWith(_ =>
        {
            lock (_gate)
            {
                _backingOff.Remove(key);
                if (_latest.ContainsKey(key) && !_inFlight.Contains(key))
                {
                    _ready.Writer.TryWrite(key);
                }
            }
        }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
    }
}
