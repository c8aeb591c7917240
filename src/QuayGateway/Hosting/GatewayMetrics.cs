using System.Diagnostics.Metrics;
using Hangfire;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Hosting;

/// <summary>
/// The gateway's own instruments (meter <c>QuayGateway</c>), exported at <c>/metrics</c>. The engine and the webhook
/// sender record through the methods; the gauges are read when Prometheus scrapes, from short-lived snapshots so a
/// burst of scrapes costs one query.
/// </summary>
public sealed class GatewayMetrics
{
    public const string MeterName = "QuayGateway";

    /// <summary>Rollouts take seconds in the sandbox and up to the 30 min deadline on a real cluster.</summary>
    private static readonly double[] RolloutBuckets = [5, 15, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600];
    private static readonly TimeSpan SnapshotTtl = TimeSpan.FromSeconds(5);

    private readonly Histogram<double> _rolloutDuration;
    private readonly Counter<long> _webhookDeliveries;
    private readonly Counter<long> _kubernetesCalls;
    private readonly Snapshot<IReadOnlyDictionary<RegistryState, int>> _registries;
    private readonly Snapshot<IReadOnlyList<(string Queue, long Length)>> _queues;

    public GatewayMetrics(IMeterFactory meters, IServiceProvider services, TimeProvider time, ILogger<GatewayMetrics> logger)
    {
        var meter = meters.Create(MeterName);
        _rolloutDuration = meter.CreateHistogram("quaygateway.rollout.duration", "s",
            "Time from a registry's acceptance to the end of its rollout (Available or Failed).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RolloutBuckets });
        _webhookDeliveries = meter.CreateCounter<long>("quaygateway.webhook.deliveries", "{delivery}",
            "Webhook delivery attempts by outcome.");
        _kubernetesCalls = meter.CreateCounter<long>("quaygateway.kubernetes.requests", "{request}",
            "Kubernetes API requests by verb and HTTP status code.");

        _registries = new Snapshot<IReadOnlyDictionary<RegistryState, int>>(time, logger, "registries by state", () =>
        {
            using var scope = services.CreateScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDb>();
            return db.Registries.AsNoTracking().GroupBy(r => r.State).Select(g => new { g.Key, Count = g.Count() })
                .ToDictionary(g => g.Key, g => g.Count);
        });
        _queues = new Snapshot<IReadOnlyList<(string, long)>>(time, logger, "Hangfire queues", () =>
        {
            var queues = services.GetRequiredService<JobStorage>().GetMonitoringApi().Queues().ToDictionary(q => q.Name, q => q.Length);
            // Storage lists a queue only while it holds jobs; the default queue always exists, so its series does too.
            queues.TryAdd(EnqueuedState.DefaultQueue, 0);
            return queues.Select(q => (q.Key, q.Value)).ToList();
        });

        meter.CreateObservableGauge("quaygateway.registries", ObserveRegistries, "{registry}",
            "Registries by state (all tenants).");
        meter.CreateObservableGauge("quaygateway.hangfire.queue.depth", ObserveQueues, "{job}",
            "Jobs waiting in each Hangfire queue.");
    }

    /// <summary>A rollout ended: <paramref name="outcome"/> is the state it ended in (Available, Failed, Blocked).</summary>
    public void RecordRolloutDuration(TimeSpan duration, string cluster, string outcome) =>
        _rolloutDuration.Record(duration.TotalSeconds, new("cluster", cluster), new("outcome", outcome));

    /// <summary>One Kubernetes API request: <paramref name="verb"/> as in RBAC (get, list, watch, create, patch, delete…), <paramref name="code"/> the HTTP status (0 when no answer came).</summary>
    public void CountKubernetesCall(string verb, int code) =>
        _kubernetesCalls.Add(1, new("verb", verb), new("code", code));

    /// <summary>One webhook delivery attempt: <paramref name="outcome"/> is delivered, failed, retrying, disabled…</summary>
    public void CountWebhookDelivery(string outcome) => _webhookDeliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));

    private IEnumerable<Measurement<int>> ObserveRegistries()
    {
        var counts = _registries.Get() ?? new Dictionary<RegistryState, int>();
        // Every state, zeros included, so an alert on a state never sees a missing series.
        return Enum.GetValues<RegistryState>().Select(s =>
            new Measurement<int>(counts.GetValueOrDefault(s), new KeyValuePair<string, object?>("state", s.ToString())));
    }

    private IEnumerable<Measurement<long>> ObserveQueues() =>
        (_queues.Get() ?? []).Select(q => new Measurement<long>(q.Length, new KeyValuePair<string, object?>("queue", q.Queue)));

    /// <summary>A value read at most once per TTL; on failure the last good value stays (null before the first).</summary>
    private sealed class Snapshot<T>(TimeProvider time, ILogger logger, string what, Func<T> read) where T : class
    {
        private readonly Lock _gate = new();
        private T? _value;
        private DateTimeOffset _readAt = DateTimeOffset.MinValue;

        public T? Get()
        {
            lock (_gate)
            {
                var now = time.GetUtcNow();
                if (now - _readAt < SnapshotTtl)
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
}
