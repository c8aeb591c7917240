using System.Data.Common;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Clusters;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Rollout;

/// <summary>
/// Recurring safety net, whichever replica runs it: re-lists every cluster (so nothing is missed across restarts or
/// dropped watches) and re-enqueues requests stored but never applied (the process died between commit and enqueue).
/// </summary>
public sealed class ResyncJob(
    GatewayDb db, ClusterConnections clusters, WatchEventRouter resync, DeadlineJob deadlines, PendingJobs pending, IBackgroundJobClient jobs,
    ILogger<ResyncJob> logger)
{
    public const string RecurringId = "resync";

    /// <summary>
    /// Only work older than this is re-enqueued, so the normal path is not doubled; and only work with no job still coming
    /// (<see cref="PendingJobs"/>), so a long queue is not doubled either.
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    [DisableConcurrentExecution(60)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(CancellationToken ct)
    {
        // Deadlines first: a change past its deadline is Failed, not re-enqueued.
        var expired = await deadlines.SweepAsync(ct);
        // Jobs still coming are read before the rows: a job that ends in between leaves its registry no longer waiting.
        var coming = await pending.ComingAsync(ct);
        var before = DateTimeOffset.UtcNow - Grace;
        var stranded = (await db.Registries.AsNoTracking()
            .Where(r => (r.State == RegistryState.Accepted || r.State == RegistryState.Applying) && r.UpdatedAt < before)
            .Select(r => r.Id)
            .ToListAsync(ct)).Where(id => !coming.Contains((typeof(IApplyRegistryJob), id))).ToList();
        foreach (var id in stranded)
        {
            jobs.Enqueue<IApplyRegistryJob>(job => job.RunAsync(id, CancellationToken.None));
        }

        var deleting = (await db.Registries.AsNoTracking()
            .Where(r => r.State == RegistryState.Deleting && r.UpdatedAt < before)
            .Select(r => r.Id)
            .ToListAsync(ct)).Where(id => !coming.Contains((typeof(IDeleteRegistryJob), id))).ToList();
        foreach (var id in deleting)
        {
            jobs.Enqueue<IDeleteRegistryJob>(job => job.RunAsync(id, CancellationToken.None));
        }

        // A bootstrap whose job was lost; the job never repeats an unconfirmed user/initialize by itself.
        var bootstrapping = (await db.Registries.AsNoTracking()
            .Where(r => r.State == RegistryState.Bootstrapping && r.UpdatedAt < before)
            .Select(r => r.Id)
            .ToListAsync(ct)).Where(id => !coming.Contains((typeof(IBootstrapRegistryJob), id))).ToList();
        foreach (var id in bootstrapping)
        {
            jobs.Enqueue<IBootstrapRegistryJob>(job => job.RunAsync(id, false, CancellationToken.None));
        }

        // Each cluster on its own: one that fails, on its side or on a row of ours (a database error), does not keep
        // the clusters after it from their re-list, run after run.
        var failed = new List<Exception>();
        foreach (var name in clusters.Names)
        {
            try
            {
                await resync.RelistAsync(clusters.Get(name), observe: null, ct);
            }
            catch (ClusterCallException e)
            {
                logger.LogWarning("Resync of cluster {Cluster} failed: {Reason} {Message}", name, e.Reason, e.Message);
            }
            catch (Exception e) when (e is DbException or DbUpdateException)
            {
                logger.LogError(e, "Resync of cluster {Cluster} failed on the database; the other clusters go on", name);
                db.ChangeTracker.Clear(); // the failed changes are not the next cluster's to save
                failed.Add(e);
            }
        }

        if (stranded.Count + deleting.Count + expired > 0)
        {
            logger.LogInformation("Resync failed {Expired} changes past their deadline, re-enqueued {Applies} applies and {Deletes} deletes",
                expired, stranded.Count, deleting.Count);
        }

        if (failed.Count > 0)
        {
            // The run shows as failed in Hangfire; the next one, a minute later, tries those clusters again.
            throw new AggregateException($"The resync of {failed.Count} cluster(s) failed on the database.", failed);
        }
    }
}
