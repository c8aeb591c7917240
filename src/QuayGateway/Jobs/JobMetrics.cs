using System.Diagnostics.Metrics;
using Hangfire;
using Hangfire.States;
using QuayGateway.Hosting;

namespace QuayGateway.Jobs;

/// <summary>Jobs waiting in each Hangfire queue (<c>quaygateway.hangfire.queue.depth</c>).</summary>
public sealed class JobMetrics
{
    private readonly MetricSnapshot<IReadOnlyList<(string Queue, long Length)>> _queues;

    public JobMetrics(IMeterFactory meters, JobStorage storage, IEnumerable<JobsSetup.JobQueue> added, TimeProvider time, ILogger<JobMetrics> logger)
    {
        _queues = new MetricSnapshot<IReadOnlyList<(string, long)>>(time, logger, "Hangfire queues", () =>
        {
            var queues = storage.GetMonitoringApi().Queues().ToDictionary(q => q.Name, q => q.Length);
            // Storage lists a queue only while it holds jobs; the queues the gateway serves always exist, so their series do too.
            queues.TryAdd(EnqueuedState.DefaultQueue, 0);
            foreach (var queue in added)
            {
                queues.TryAdd(queue.Name, 0);
            }

            return queues.Select(q => (q.Key, q.Value)).ToList();
        });
        meters.Create(TelemetrySetup.MeterName).CreateObservableGauge("quaygateway.hangfire.queue.depth", ObserveQueues, "{job}",
            "Jobs waiting in each Hangfire queue.");
    }

    private IEnumerable<Measurement<long>> ObserveQueues() =>
        (_queues.Get() ?? []).Select(q => new Measurement<long>(q.Length, new KeyValuePair<string, object?>("queue", q.Queue)));
}
