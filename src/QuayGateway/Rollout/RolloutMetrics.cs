using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Rollout;

/// <summary>
/// Rollout durations (<c>quaygateway.rollout.duration</c>), registries by state (<c>quaygateway.registries</c>) and
/// look-alike objects the watch ignored (<c>quaygateway.foreign_objects</c>), changes failed at their deadline
/// (<c>quaygateway.rollout.deadlines_exceeded</c>), changes past their deadline and not failed yet
/// (<c>quaygateway.rollouts.overdue</c>), and whether this replica watches each cluster (<c>quaygateway.cluster.watched</c>).
/// </summary>
public sealed class RolloutMetrics
{
    /// <summary>Objects already logged, so that each is logged once however often it is seen; bounded.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _loggedForeign = new(StringComparer.Ordinal);
    private readonly Counter<long> _foreignObjects;

    /// <summary>Rollouts take seconds in the sandbox and up to the 30 min deadline on a real cluster.</summary>
    private static readonly double[] RolloutBuckets = [5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600];

    private readonly Histogram<double> _rolloutDuration;
    private readonly Counter<long> _deadlinesExceeded;
    private readonly MetricSnapshot<IReadOnlyDictionary<RegistryState, int>> _registries;
    private readonly MetricSnapshot<object> _overdue;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _watching = new(StringComparer.Ordinal);

    public RolloutMetrics(IMeterFactory meters, IServiceProvider services, TimeProvider time, ILogger<RolloutMetrics> logger)
    {
        var meter = meters.Create(TelemetrySetup.MeterName);
        _rolloutDuration = meter.CreateHistogram("quaygateway.rollout.duration", "s",
            "Time from a registry's acceptance to the end of its rollout (Available or Failed).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RolloutBuckets });
        _registries = new MetricSnapshot<IReadOnlyDictionary<RegistryState, int>>(time, logger, "registries by state", () =>
        {
            using var scope = services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDb>();
            return db.Registries.AsNoTracking().GroupBy(r => r.State).Select(g => new { g.Key, Count = g.Count() })
                .ToDictionary(g => g.Key, g => g.Count);
        });
        _foreignObjects = meter.CreateCounter<long>("quaygateway.foreign_objects", "{object}",
            "Events of QuayRegistries that look like a registry's but are not its own (another place, or another uid); ignored.");
        meter.CreateObservableGauge("quaygateway.registries", ObserveRegistries, "{registry}", "Registries by state (all tenants).");
        _deadlinesExceeded = meter.CreateCounter<long>("quaygateway.rollout.deadlines_exceeded", "{registry}",
            "Changes failed because they missed their deadline: kind rollout (not Available in time) or deprovision (still held by a finalizer).");
        _overdue = new MetricSnapshot<object>(time, logger, "overdue registries", () =>
        {
            using var scope = services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDb>();
            var now = time.GetUtcNow();
            return db.Registries.AsNoTracking()
                .Count(r => RegistryLifecycle.BoundByDeadline.Contains(r.State) && r.RolloutDeadline != null && r.RolloutDeadline < now);
        });
        meter.CreateObservableGauge("quaygateway.rollouts.overdue", () => _overdue.Get() as int? ?? 0, "{registry}",
            "Changes past their deadline that are not failed yet; the deadline job fails them within a minute, so a lasting value means it does not run.");
        meter.CreateObservableGauge("quaygateway.cluster.watched", () => ObserveWatched(services), "{watch}",
            "1 for each cluster this replica watches, 0 for each it does not; max by cluster over all replicas is 0 when no replica watches it.");
    }

    /// <summary>The watch of <paramref name="cluster"/> started (true) or ended (false) on this replica.</summary>
    public void SetWatching(string cluster, bool watching) => _watching[cluster] = watching;

    /// <summary>A change missed its deadline: <paramref name="kind"/> is rollout or deprovision.</summary>
    public void CountDeadlineExceeded(string cluster, string kind) =>
        _deadlinesExceeded.Add(1, new("cluster", cluster), new("kind", kind));

    private IEnumerable<Measurement<int>> ObserveWatched(IServiceProvider services) =>
        services.GetRequiredService<Clusters.ClusterConnections>().Names.Select(cluster =>
            new Measurement<int>(_watching.GetValueOrDefault(cluster) ? 1 : 0, new KeyValuePair<string, object?>("cluster", cluster)));

    /// <summary>A rollout ended: <paramref name="outcome"/> is the state it ended in (Available, Failed, Blocked).</summary>
    public void RecordRolloutDuration(TimeSpan duration, string cluster, string outcome) =>
        _rolloutDuration.Record(duration.TotalSeconds, new("cluster", cluster), new("outcome", outcome));

    /// <summary>Counts one event of a look-alike object; true the first time this object (by uid) is seen, to log it once.</summary>
    public bool CountForeignObject(string cluster, string kind, string? uid)
    {
        _foreignObjects.Add(1, new("cluster", cluster), new("kind", kind));
        if (_loggedForeign.Count > 10_000)
        {
            _loggedForeign.Clear();
        }

        return _loggedForeign.TryAdd($"{cluster}/{kind}/{uid}", 0);
    }

    private IEnumerable<Measurement<int>> ObserveRegistries()
    {
        var counts = _registries.Get() ?? new Dictionary<RegistryState, int>();
        // Every state, zeros included, so an alert on a state never sees a missing series.
        return Enum.GetValues<RegistryState>().Select(s =>
            new Measurement<int>(counts.GetValueOrDefault(s), new KeyValuePair<string, object?>("state", s.ToString())));
    }
}
