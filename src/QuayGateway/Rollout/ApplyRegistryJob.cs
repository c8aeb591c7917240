using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Registries;

namespace QuayGateway.Rollout;

/// <summary>
/// Applies a registry request to its cluster. Idempotent: a re-run (Hangfire retry, resync, restart) of a registry
/// already past Accepted does nothing twice.
/// </summary>
public sealed class ApplyRegistryJob(GatewayDb db, ILogger<ApplyRegistryJob> logger)
{
    public async Task RunAsync(Guid registryId, CancellationToken ct)
    {
        var registry = await db.Registries.SingleOrDefaultAsync(r => r.Id == registryId, ct);
        if (registry is not { State: RegistryState.Accepted })
        {
            return;
        }

        var now = DateTimeOffset.UtcNow;
        registry.Health = RegistryHealth.Progressing;
        registry.SetCondition("Applied", "False", "Applying", "Applying the namespace, config bundle and QuayRegistry.", now);
        db.MoveTo(registry, RegistryState.Applying, "Applying", "Apply started.", now);
        try
        {
            await db.SaveChangesAsync(ct);
            logger.LogInformation("Registry {RegistryId} moved to {State}", registry.Id, registry.State);
        }
        catch (DbUpdateConcurrencyException)
        {
            // Another run (or a user change) got there first; that run owns the transition.
            logger.LogInformation("Registry {RegistryId} changed concurrently; skipping", registryId);
        }
    }
}
