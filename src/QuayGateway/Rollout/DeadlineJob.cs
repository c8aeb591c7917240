using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Rollout;

/// <summary>Marks a rollout that never became Available by its deadline (<c>Gateway:Rollout:Deadline</c>) as Failed.</summary>
public sealed class DeadlineJob(GatewayDb db, TimeProvider time, RolloutMetrics metrics, ILogger<DeadlineJob> logger)
{

    public async Task RunAsync(Guid registryId, int specVersion, CancellationToken ct)
    {
        var registry = await db.Registries.SingleOrDefaultAsync(r => r.Id == registryId, ct);
        // A later change started a new rollout with its own deadline.
        if (registry is null || registry.SpecVersion != specVersion || !RegistryLifecycle.IsRollingOut(registry.State))
        {
            return;
        }

        var now = time.GetUtcNow();
        var message = $"The registry did not become Available by its deadline ({registry.RolloutDeadline:u}); last state {registry.State}.";
        registry.Health = RegistryHealth.Degraded;
        registry.SetCondition(ConditionTypes.Available, "False", "DeadlineExceeded", message, now);
        db.MoveTo(registry, RegistryState.Failed, "DeadlineExceeded", message, now);
        if (registry.RolloutStartedAt is { } started)
        {
            metrics.RecordRolloutDuration(now - started, registry.Cluster, nameof(RegistryState.Failed));
        }

        await db.SaveChangesAsync(ct);
        logger.LogWarning("Registry {RegistryId} missed its rollout deadline", registryId);
    }
}
