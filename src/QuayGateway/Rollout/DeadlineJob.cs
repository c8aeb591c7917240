using Microsoft.EntityFrameworkCore;
using QuayGateway.Clusters;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Rollout;

/// <summary>
/// Ends a change that missed its deadline (<see cref="Registry.RolloutDeadline"/>, set when the change was asked for):
/// a rollout not Available by then, or a deprovision whose QuayRegistry is still held by a finalizer, is Failed. The
/// job scheduled at the first apply is the quick path; the resync job's sweep catches every deadline whose job was
/// lost (a replica died before the first apply, or the apply never succeeded).
/// </summary>
public sealed class DeadlineJob(GatewayDb db, ClusterConnections clusters, TimeProvider time, RolloutMetrics metrics, ILogger<DeadlineJob> logger)
{
    public async Task RunAsync(Guid registryId, int specVersion, CancellationToken ct)
    {
        var registry = await db.Registries.SingleOrDefaultAsync(r => r.Id == registryId, ct);
        // A later change started a new rollout with its own deadline.
        if (registry is null || registry.SpecVersion != specVersion || !RegistryLifecycle.IsRollingOut(registry.State))
        {
            return;
        }

        await FailAsync(registry, ct);
    }

    /// <summary>Fails every change past its deadline; returns how many.</summary>
    public async Task<int> SweepAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var expired = await db.Registries
            .Where(r => RegistryLifecycle.BoundByDeadline.Contains(r.State) && r.RolloutDeadline != null && r.RolloutDeadline < now)
            .ToListAsync(ct);
        foreach (var registry in expired)
        {
            try
            {
                await FailAsync(registry, ct);
            }
            catch (DbUpdateConcurrencyException)
            {
                // Still contended after the retries: the next sweep finds it again.
                logger.LogInformation("Registry {RegistryId} is past its deadline but kept changing; the next sweep retries", registry.Id);
                db.ChangeTracker.Clear();
            }
        }

        return expired.Count;
    }

    private async Task FailAsync(Registry registry, CancellationToken ct)
    {
        var id = registry.Id;
        string? reason = null;
        // The watch writes the row all the time: re-read it on a conflict and judge the fresh row.
        await db.SaveWithRetryAsync(async (attempt, ct) =>
        {
            if (attempt > 0 && await db.Registries.SingleOrDefaultAsync(r => r.Id == id, ct) is { } fresh)
            {
                registry = fresh;
            }

            var now = time.GetUtcNow();
            if (!RegistryLifecycle.BoundByDeadline.Contains(registry.State) || registry.RolloutDeadline is not { } deadline || deadline >= now)
            {
                return false; // finished, or given a new deadline, meanwhile
            }

            string message;
            (reason, message) = registry.State == RegistryState.Deleting
                ? ("DeleteDeadlineExceeded", $"The deprovision did not finish by its deadline ({deadline:u}): {await HolderAsync(registry, ct)}")
                : ("DeadlineExceeded", $"The registry did not become Available by its deadline ({deadline:u}); last state {registry.State}.");
            registry.Health = RegistryHealth.Degraded;
            registry.SetCondition(ConditionTypes.Available, "False", reason, message, now);
            db.MoveTo(registry, RegistryState.Failed, reason, message, now);
            if (reason == "DeadlineExceeded" && registry.RolloutStartedAt is { } started)
            {
                metrics.RecordRolloutDuration(now - started, registry.Cluster, nameof(RegistryState.Failed));
            }

            return true;
        }, ct);

        if (reason is not null)
        {
            metrics.CountDeadlineExceeded(registry.Cluster, reason == "DeadlineExceeded" ? "rollout" : "deprovision");
            logger.LogWarning("Registry {RegistryId} missed its deadline: {Reason}", id, reason);
        }
    }

    /// <summary>What keeps the QuayRegistry from going: its finalizers, as the cluster reports them now.</summary>
    private async Task<string> HolderAsync(Registry registry, CancellationToken ct)
    {
        try
        {
            var live = await clusters.Get(registry.Cluster).GetQuayRegistryAsync(registry.Namespace, registry.Name, ct);
            return live?.Metadata.Finalizers is { Count: > 0 } finalizers
                ? $"the QuayRegistry is still held by finalizer(s) {string.Join(", ", finalizers)}."
                : "the QuayRegistry is gone, but the deprovision did not record it.";
        }
        catch (ClusterCallException e)
        {
            return $"the cluster could not be asked why ({e.Reason}).";
        }
    }
}
