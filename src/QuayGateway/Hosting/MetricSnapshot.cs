namespace QuayGateway.Hosting;

/// <summary>
/// A gauge's value read at most once per TTL, so a burst of scrapes costs one query; on failure the last good value
/// stays (null before the first).
/// </summary>
public sealed class MetricSnapshot<T>(TimeProvider time, ILogger logger, string what, Func<T> read) where T : class
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(5);
    private readonly Lock _gate = new();
    private T? _value;
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    public T? Get()
    {
        lock (_gate)
        {
            var now = time.GetUtcNow();
            if (now - _readAt < Ttl)
            {
                return _value;
            }

            try
            {
                _value = read();
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "Could not read {What} for /metrics; keeping the last value", what);
            }

            _readAt = now;
            return _value;
        }
    }
}
