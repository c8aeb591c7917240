using Hangfire;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuayGateway.Clusters;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Rollout;

/// <summary>
/// Applies a registry to its cluster: the namespace (remembering whether the gateway created it), the config-bundle
/// Secret, and the QuayRegistry by server-side apply. Idempotent: it applies a spec version once, and a re-run
/// (retry, resync, restart) re-applies the same objects without creating second ones. Two runs for one registry never
/// overlap, on any replica: the second waits for the first and then finds the change applied. (A fleet run applied 4 of
/// 156 rollouts twice; the path found in the code: the resync re-enqueues a rollout whose job still waits in a busy
/// queue, and both used to apply it.)
/// Transient Kubernetes errors are retried by Hangfire with backoff; permanent ones make the registry Failed.
/// </summary>
public sealed class ApplyRegistryJob(
    GatewayDb db,
    SessionLocks locks,
    ClusterConnections clusters,
    RolloutTracker tracker,
    IDataProtectionProvider dataProtection,
    IBackgroundJobClient jobs,
    IOptions<RolloutOptions> options,
    TimeProvider time,
    ILogger<ApplyRegistryJob> logger) : IApplyRegistryJob
{
    public async Task RunAsync(Guid registryId, CancellationToken ct)
    {
        // Held until the apply is recorded: a run that read the row while another was applying (state Applying) would
        // apply the same spec again. A run that dies lets go with its session, and the next one applies.
        await using var applying = await locks.AcquireAsync($"quaygateway.apply:{registryId:N}", ct);
        var registry = await db.Registries.SingleOrDefaultAsync(r => r.Id == registryId, ct);
        if (registry is null || registry.State is RegistryState.Deleting or RegistryState.Deleted
            || (registry.AppliedSpecVersion >= registry.SpecVersion && registry.State is not (RegistryState.Accepted or RegistryState.Applying)))
        {
            return;
        }

        var now = time.GetUtcNow();
        if (db.MoveTo(registry, RegistryState.Applying, "Applying", "Applying the namespace, config bundle and QuayRegistry.", now))
        {
            registry.Health = RegistryHealth.Progressing;
            registry.SetCondition(ConditionTypes.Applied, "False", "Applying", "Applying the namespace, config bundle and QuayRegistry.", now);
            await db.SaveChangesAsync(ct);
        }

        try
        {
            await ApplyAsync(registry, clusters.Get(registry.Cluster), ct);
        }
        catch (ClusterCallException e) when (!e.Transient)
        {
            now = time.GetUtcNow();
            registry.Health = RegistryHealth.Degraded;
            registry.SetCondition(ConditionTypes.Applied, "False", e.Reason, e.Message, now);
            db.MoveTo(registry, RegistryState.Failed, e.Reason, $"The cluster refused the apply: {e.Message}", now);
            await db.SaveChangesAsync(ct);
            logger.LogWarning("Apply of registry {RegistryId} failed for good: {Reason}", registry.Id, e.Reason);
        }
        catch (ClusterCallException e)
        {
            registry.SetCondition(ConditionTypes.Applied, "False", e.Reason, $"Transient error, retrying: {e.Message}", time.GetUtcNow());
            await db.SaveChangesAsync(CancellationToken.None);
            throw; // Hangfire retries with backoff
        }
    }

    /// <summary>
    /// The applied object with the status (and generation) the watch stored on the row: as new as the apply's answer or
    /// newer. Judging it now matters: events the watch delivered while the apply ran were stored, not judged.
    /// </summary>
    private static QuayRegistryResource WithObservedStatus(QuayRegistryResource applied, Registry registry) =>
        registry.ParseOperatorStatus() is not { } observed
            ? applied
            : new QuayRegistryResource
            {
                Metadata = new k8s.Models.V1ObjectMeta
                {
                    Name = applied.Metadata.Name, NamespaceProperty = applied.Metadata.NamespaceProperty,
                    Annotations = applied.Metadata.Annotations, Labels = applied.Metadata.Labels,
                    Generation = Math.Max(applied.Metadata.Generation ?? 1, registry.Generation),
                },
                Spec = applied.Spec,
                Status = observed,
            };

    private void RecordApplied(Registry registry, QuayRegistryResource manifest, QuayRegistryResource applied, string? uid, string? serverHostname, bool newRollout)
    {
        var now = time.GetUtcNow();
        registry.AppliedManifest = RegistryManifest.ToJson(manifest);
        registry.AppliedSpecVersion = registry.SpecVersion;
        registry.QuayRegistryUid = uid ?? registry.QuayRegistryUid;
        registry.AppliedServerHostname = serverHostname;
        if (newRollout)
        {
            registry.RolloutStartedAt = now;
            registry.AvailableAt = null;
            registry.RolloutDeadline = now + options.Value.Deadline;
        }

        registry.SetCondition(ConditionTypes.Applied, "True", "Applied", $"QuayRegistry applied (generation {applied.Metadata.Generation}).", now);
        db.AddWebhookEvent(registry, WebhookEventTypes.RegistryApplied, now);
        db.MoveTo(registry, RegistryState.Progressing, "Applied", "The QuayRegistry is applied; following the operator's rollout.", now);
        // An unchanged spec brings no new event from the watch: judge the live status now.
        tracker.RecordObservation(registry, applied);
    }

    /// <summary>
    /// An object in the registry's place that the gateway did not make for it: the registry is Blocked and the object
    /// left exactly as it is. A retry once it is gone (or renamed) applies.
    /// </summary>
    private async Task BlockOnForeignObjectAsync(Registry registry, string what, string? uid, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var message = $"{what} exists in namespace '{registry.Namespace}' and was not made by the gateway for this registry " +
                      $"(no '{ClusterClient.RegistryIdAnnotation}: {registry.Id}' annotation, or another uid{(uid is null ? "" : $" than {uid}")}). " +
                      "The gateway leaves it as it is. Remove or rename it, then POST /retry.";
        registry.SetCondition(ConditionTypes.Applied, "False", ForeignObjectReason, message, now);
        registry.Health = RegistryHealth.Degraded;
        db.MoveTo(registry, RegistryState.Blocked, ForeignObjectReason, message, now);
        registry.AppliedSpecVersion = registry.SpecVersion;
        await db.SaveChangesAsync(ct);
        logger.LogWarning("Registry {RegistryId} blocked: {Object} in {Namespace} on {Cluster} is not the gateway's", registry.Id, what, registry.Namespace, registry.Cluster);
    }

    public const string ForeignObjectReason = "ForeignObject";

    private async Task ApplyAsync(Registry registry, ClusterClient cluster, CancellationToken ct)
    {
        if (await cluster.EnsureNamespaceAsync(registry.Namespace, ct))
        {
            registry.NamespaceCreated = true;
            await db.SaveChangesAsync(ct); // remembered at once: only a namespace we created is ours to delete
        }

        // Never touch what is not ours: both objects are checked before either is written.
        var live = await cluster.GetQuayRegistryAsync(registry.Namespace, registry.Name, ct);
        if (live is not null && !RegistryManifest.IsOwn(registry, live))
        {
            await BlockOnForeignObjectAsync(registry, $"QuayRegistry '{registry.Name}'", live.Metadata.Uid, ct);
            return;
        }

        string? serverHostname = null;
        if (registry.Spec.ConfigBundle is not null)
        {
            var secretName = RegistryManifest.BundleSecretName(registry);
            if (await cluster.GetSecretMetadataAsync(registry.Namespace, secretName, ct) is { } secret && !RegistryManifest.IsMarkedFor(registry, secret))
            {
                await BlockOnForeignObjectAsync(registry, $"Secret '{secretName}'", secret.Uid, ct);
                return;
            }

            var bundle = RegistrySecrets.Unprotect(dataProtection, registry.ProtectedSecrets).ConfigBundle ?? new Dictionary<string, string>();
            serverHostname = ConfigYaml.ServerHostname(bundle);
            await cluster.ApplySecretAsync(registry.Namespace, secretName, bundle,
                RegistryManifest.Labels(registry), RegistryManifest.Annotations(registry), ct);
        }
        else if (registry.Spec.ConfigBundleSecret is { } named && !await cluster.SecretExistsAsync(registry.Namespace, named, ct))
        {
            var message = $"The config bundle Secret '{named}' does not exist in namespace '{registry.Namespace}'. Create it, then POST /retry.";
            registry.SetCondition(ConditionTypes.Applied, "False", "ConfigBundleSecretNotFound", message, time.GetUtcNow());
            registry.Health = RegistryHealth.Degraded;
            db.MoveTo(registry, RegistryState.Blocked, "ConfigBundleSecretNotFound", message, time.GetUtcNow());
            registry.AppliedSpecVersion = registry.SpecVersion;
            await db.SaveChangesAsync(ct);
            return;
        }

        if (live is null && registry.QuayRegistryUid is not null)
        {
            // The object we knew is gone: the apply creates another, whose uid is recorded below. Forgotten first, so a
            // crash in between leaves this registry adopting its own new object rather than calling it foreign.
            registry.QuayRegistryUid = null;
            await db.SaveChangesAsync(ct);
        }

        var manifest = RegistryManifest.Build(registry, live);
        var applied = await cluster.ApplyQuayRegistryAsync(manifest, ct);
        var newRollout = live is null || applied.Metadata.Generation != live.Metadata.Generation || registry.RolloutStartedAt is null;
        // The watch may write the row meanwhile (it sees the applied object at once): the cluster has the object, so
        // record that on the fresh row rather than applying again, judging the status the watch stored when it is as
        // new as the apply's answer. (A write of workloads alone stores no newer status: then the answer is judged, so
        // that the row always knows the applied object's resource version; see RolloutTracker.ObserveMissingAsync.)
        await db.SaveWithRetryAsync(async (attempt, ct) =>
        {
            if (attempt > 0)
            {
                registry = await db.Registries.SingleAsync(r => r.Id == registry.Id, ct);
            }

            var judged = attempt == 0 || ResourceVersions.IsOlder(registry.ObservedResourceVersion, applied.Metadata.ResourceVersion)
                ? applied
                : WithObservedStatus(applied, registry);
            RecordApplied(registry, manifest, judged, applied.Metadata.Uid, serverHostname, newRollout);
            return true;
        }, ct);

        if (newRollout)
        {
            var (id, version) = (registry.Id, registry.SpecVersion);
            jobs.Schedule<DeadlineJob>(job => job.RunAsync(id, version, CancellationToken.None), options.Value.Deadline);
        }

        logger.LogInformation("Applied registry {RegistryId} to {Cluster} (generation {Generation})", registry.Id, cluster.Name, applied.Metadata.Generation);
    }
}
