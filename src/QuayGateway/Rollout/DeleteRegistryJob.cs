using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuayGateway.Clusters;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Quay;
using QuayGateway.Registries.Model;

namespace QuayGateway.Rollout;

/// <summary>
/// Deprovisions: deletes the QuayRegistry, waits until the operator has let it go (finalizer), removes the bundle
/// Secret the gateway created, and the namespace only if the gateway created it and no other registry lives there.
/// </summary>
public sealed class DeleteRegistryJob(
    GatewayDb db, ClusterConnections clusters, IBackgroundJobClient jobs, IOptions<RolloutOptions> options, TimeProvider time,
    ILogger<DeleteRegistryJob> logger) : IDeleteRegistryJob
{
    public async Task RunAsync(Guid registryId, CancellationToken ct)
    {
        var registry = await db.Registries.SingleOrDefaultAsync(r => r.Id == registryId, ct);
        if (registry is not { State: RegistryState.Deleting })
        {
            return;
        }

        var cluster = clusters.Get(registry.Cluster);
        // Only the registry's own objects go: its annotation and the uid recorded at the apply, as a delete precondition
        // (an object put in its place meanwhile survives).
        if (await cluster.GetQuayRegistryAsync(registry.Namespace, registry.Name, ct) is { } live && RegistryManifest.IsOwn(registry, live))
        {
            await cluster.DeleteQuayRegistryAsync(registry.Namespace, registry.Name, live.Metadata.Uid, ct);
            if (await cluster.GetQuayRegistryAsync(registry.Namespace, registry.Name, ct) is { } still && RegistryManifest.IsOwn(registry, still))
            {
                // The operator's finalizer is cleaning up; come back shortly.
                jobs.Schedule<IDeleteRegistryJob>(job => job.RunAsync(registryId, CancellationToken.None), options.Value.DeletePollInterval);
                return;
            }
        }

        if (registry.Spec.ConfigBundle is not null
            && await cluster.GetSecretMetadataAsync(registry.Namespace, RegistryManifest.BundleSecretName(registry), ct) is { } secret
            && RegistryManifest.IsMarkedFor(registry, secret))
        {
            await cluster.DeleteSecretAsync(registry.Namespace, RegistryManifest.BundleSecretName(registry), secret.Uid, ct);
        }

        var now = time.GetUtcNow();
        // Another registry of the gateway may have created the namespace; its label says the gateway did.
        if (registry.NamespaceCreated || await cluster.IsOwnNamespaceAsync(registry.Namespace, ct))
        {
            var othersHere = await db.Registries.AnyAsync(r => r.Id != registry.Id && r.Cluster == registry.Cluster
                                                           && r.Namespace == registry.Namespace && r.State != RegistryState.Deleted, ct);
            if (!othersHere && await cluster.CountQuayRegistriesAsync(registry.Namespace, ct) == 0)
            {
                await cluster.DeleteNamespaceAsync(registry.Namespace, ct);
                db.Record(registry, TimelineEntryType.Deprovisioned, "NamespaceDeleted", $"Deleted namespace '{registry.Namespace}' (created by the gateway, now empty).", now);
            }
        }

        // The registry's Quay is gone, and with it any use for its token.
        await db.QuayAccounts.Where(a => a.RegistryId == registry.Id).ExecuteDeleteAsync(ct);
        registry.Health = RegistryHealth.Missing;
        registry.HealthCauses = [];
        registry.SetCondition(ConditionTypes.Available, "False", "Deleted", "The registry was deprovisioned.", now);
        db.MoveTo(registry, RegistryState.Deleted, "Deleted", "The QuayRegistry and the objects the gateway created are gone.", now);
        await db.SaveChangesAsync(ct);
        logger.LogInformation("Registry {RegistryId} deprovisioned", registryId);
    }
}
