using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;

namespace QuayGateway.Jobs;

/// <summary>
/// The registry jobs that are still coming: waiting in the job outbox, or in Hangfire enqueued, processing or scheduled
/// (a retry's wait). The resync re-enqueues only work that has none of these: a rollout whose job waits in a long queue
/// is late, not lost. (Without this, 2,000 registries created at once got a second apply job for every one still
/// waiting after 30 s, every minute: the copies queued behind the originals, and the queue grew faster than it drained.)
/// </summary>
public sealed class PendingJobs(GatewayDb db, JobStorage storage)
{
    /// <summary>
    /// Each registry job still coming, as (job contract, registry id): the job's first argument is the registry id. One
    /// read of the outbox and of each Hangfire list, however many kinds of job the caller checks.
    /// </summary>
    public async Task<HashSet<(Type Job, Guid RegistryId)>> ComingAsync(CancellationToken ct)
    {
        var outbox = await db.OutboxJobs.AsNoTracking().ToListAsync(ct);
        var queued = outbox.SelectMany(row => row.Payloads()).Select(Load);
        var monitoring = storage.GetMonitoringApi();
        // Apply, delete and bootstrap jobs run on the default queue; a job being run is Processing, a retry Scheduled.
        var inHangfire = monitoring.EnqueuedJobs(EnqueuedState.DefaultQueue, 0, int.MaxValue).Select(j => j.Value?.Job)
            .Concat(monitoring.ProcessingJobs(0, int.MaxValue).Select(j => j.Value?.Job))
            .Concat(monitoring.ScheduledJobs(0, int.MaxValue).Select(j => j.Value?.Job));
        return queued.Concat(inHangfire)
            .Where(job => job is { Args.Count: > 0 } && job.Args[0] is Guid)
            .Select(job => (job!.Type, (Guid)job.Args[0]))
            .ToHashSet();
    }

    private static Job? Load(string payload)
    {
        try
        {
            return InvocationData.DeserializePayload(payload).DeserializeJob();
        }
        catch (JobLoadException)
        {
            return null; // the dispatcher drops it too (a job this version no longer has)
        }
    }
}
