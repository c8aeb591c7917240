using Microsoft.Extensions.DependencyInjection.Extensions;

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

/// <summary>
/// Makes a singleton when the host starts rather than on first use: for classes whose constructor registers
/// observable instruments that must report from the first scrape.
/// </summary>
public static class EagerSingletons
{
    public static IServiceCollection AddEagerSingleton<T>(this IServiceCollection services) where T : class
    {
        services.AddSingleton<T>();
        // A type of its own per T: AddHostedService would drop a second registration of one implementation type.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, Starter<T>>());
        return services;
    }

    private sealed class Starter<T>(T instance) : IHostedService where T : class
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public T Instance => instance;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
