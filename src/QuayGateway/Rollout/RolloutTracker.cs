using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuayGateway.Clusters;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Quay;
using QuayGateway.Registries.Model;

namespace QuayGateway.Rollout;

/// <summary>
/// Lands what a cluster says about a QuayRegistry in PostgreSQL: the registry row (state, health, endpoint, the
/// operator's status verbatim) and a timeline of condition transitions. Used by the watch and by resync alike.
/// </summary>
public sealed class RolloutTracker(
    GatewayDb db, TimeProvider time, RolloutMetrics metrics, QuayDestinations destinations, IOptions<RolloutOptions> options, ILogger<RolloutTracker> logger)
{
    private const string WorkloadCauseReason = "PodFailing";


    public Task ObserveAsync(string cluster, QuayRegistryResource live, CancellationToken ct) =>
        ObserveAsync(cluster, $"{live.Metadata.NamespaceProperty}/{live.Metadata.Name}", live, null, ct);

    /// <summary>Lands what the watches saw of one registry: its QuayRegistry, its workloads, or both, in one write.</summary>
    public Task ObserveAsync(string cluster, string key, QuayRegistryResource? live, RegistryWorkloads? workloads, CancellationToken ct) =>
        // A job may change the row meanwhile: then read it again and land the observation on the fresh row.
        db.SaveWithRetryAsync(async (_, ct) =>
        {
            var registry = live is not null ? await FindAsync(cluster, live, ct) : await FindAsync(cluster, key, ct);
            if (registry is null)
            {
                return false;
            }

            if (live is not null)
            {
                RecordObservation(registry, live);
            }

            if (workloads is not null)
            {
                await RecordWorkloadsAsync(registry, workloads, ct);
            }

            // A change of anything shown is a change of the registry; an observation that changed nothing (a re-list
            // of an object already landed) writes nothing.
            var entry = db.Entry(registry);
            if (entry.State == EntityState.Modified && !entry.Property(r => r.UpdatedAt).IsModified)
            {
                registry.UpdatedAt = time.GetUtcNow();
            }

            return true;
        }, ct);

    /// <summary>
    /// The QuayRegistry is gone, as the cluster said at <paramref name="seenAt"/> (a list's or a delete event's resource
    /// version). Expected while deprovisioning; otherwise drift: record it and re-apply.
    /// </summary>
    public async Task ObserveMissingAsync(Registry registry, string? seenAt, CancellationToken ct)
    {
        if (RegistryLifecycle.IsOwnedByGateway(registry.State) || registry.State == RegistryState.Failed || registry.AppliedSpecVersion == 0)
        {
            return;
        }

        if (ResourceVersions.IsOlder(seenAt, registry.ObservedResourceVersion))
        {
            // The row knows a newer object than that news: typically a list taken just before the apply job made the
            // object and recorded it. Re-applying would take back a rollout the gateway itself just started; a list
            // or delete event after the object really went away is newer than anything the row holds.
            return;
        }

        var now = time.GetUtcNow();
        registry.Health = RegistryHealth.Missing;
        registry.HealthCauses = [new HealthCause("quayregistry", "Missing", "The QuayRegistry was deleted outside the gateway; re-applying it.")];
        registry.SpecVersion++;
        registry.UpdatedAt = now;
        db.Record(registry, TimelineEntryType.Drift, "QuayRegistryMissing", "The QuayRegistry disappeared from the cluster; the gateway re-applies it.", now);
        registry.RolloutDeadline = now + options.Value.Deadline;
        db.MoveTo(registry, RegistryState.Applying, "QuayRegistryMissing", "Re-applying the missing QuayRegistry.", now);
        db.EnqueueJob(RegistryJobs.Apply(registry.Id));
        await db.SaveChangesAsync(ct);
        logger.LogWarning("QuayRegistry {Namespace}/{Name} on {Cluster} disappeared; re-applying", registry.Namespace, registry.Name, registry.Cluster);
    }

    private Task<Registry?> FindAsync(string cluster, string key, CancellationToken ct)
    {
        var (ns, name) = (key[..key.IndexOf('/')], key[(key.IndexOf('/') + 1)..]);
        return db.Registries.SingleOrDefaultAsync(r => r.Cluster == cluster && r.Namespace == ns && r.Name == name && r.State != RegistryState.Deleted, ct);
    }

    /// <summary>
    /// The registry a QuayRegistry event is about: the one in its place (cluster, namespace, name) whose uid it has.
    /// An object elsewhere with a copied annotation, or another object under the same name, changes nothing.
    /// </summary>
    private async Task<Registry?> FindAsync(string cluster, QuayRegistryResource live, CancellationToken ct) =>
        OwnOrNull(cluster, await FindAsync(cluster, $"{live.Metadata.NamespaceProperty}/{live.Metadata.Name}", ct), live);

    /// <summary>
    /// <paramref name="registry"/> (found by the object's place) when <paramref name="live"/> is its own QuayRegistry,
    /// else null; a look-alike is counted and logged once. Before a uid is recorded, the object in the registry's place
    /// that carries its annotation is its own.
    /// </summary>
    public Registry? OwnOrNull(string cluster, Registry? registry, QuayRegistryResource live)
    {
        if (registry is not null && live.Metadata.Uid is { } uid && registry.QuayRegistryUid == uid)
        {
            return registry;
        }

        if (registry is { QuayRegistryUid: null } && RegistryManifest.IsMarkedFor(registry, live.Metadata))
        {
            // Under its first apply, the object is the one the apply made (it records its uid itself); applied before
            // uids were recorded, the registry adopts it.
            if (registry.AppliedSpecVersion > 0)
            {
                registry.QuayRegistryUid = live.Metadata.Uid;
            }

            return registry;
        }

        if (metrics.CountForeignObject(cluster, QuayRegistryResource.ResourceKind, live.Metadata.Uid))
        {
            logger.LogWarning("Ignoring QuayRegistry {Namespace}/{Name} (uid {Uid}) on {Cluster}: it claims to be the gateway's ({Annotation}: {Claimed}) " +
                              "but is not the object of the registry in its place", live.Metadata.NamespaceProperty, live.Metadata.Name, live.Metadata.Uid,
                cluster, ClusterClient.RegistryIdAnnotation,
                live.Metadata.Annotations?.TryGetValue(ClusterClient.RegistryIdAnnotation, out var claimed) == true ? claimed : null);
        }

        return null;
    }

    /// <summary>
    /// Records one observation of the live object on the (tracked) row, in the caller's unit of work, with the job it
    /// calls for in the same unit of work (job outbox): a re-apply after an out-of-band edit, or the bootstrap once the
    /// registry is Available. The caller saves.
    /// </summary>
    public void RecordObservation(Registry registry, QuayRegistryResource live)
    {
        if (ResourceVersions.IsOlder(live.Metadata.ResourceVersion, registry.ObservedResourceVersion))
        {
            return; // older than what is stored (a resync's list that raced the watch): landing it would go back in time
        }

        var now = time.GetUtcNow();
        var view = StatusInterpreter.Interpret(live, registry.State);
        RecordConditionChanges(registry, live.Status, now);

        // The same resourceVersion is the same object: its status is stored already (as jsonb, whose text differs from
        // ToJsonString's, so assigning it would rewrite the row). The resync re-lists every registry every minute, and
        // without this every row was updated each time, however long ago it last changed: at 10,000 registries, 10,000
        // updates a minute. What the status means is still judged below, and a judgement that changes the row saves.
        var landed = live.Metadata.ResourceVersion is not null && live.Metadata.ResourceVersion == registry.ObservedResourceVersion;
        if (!landed)
        {
            registry.OperatorStatus = live.Status?.ToJsonString();
            registry.UpdatedAt = now;
        }

        registry.ObservedResourceVersion = live.Metadata.ResourceVersion ?? registry.ObservedResourceVersion;
        registry.Generation = view.Generation;
        registry.ObservedGeneration = view.ObservedGeneration;
        RecordEndpoint(registry, view.RegistryEndpoint ?? registry.RegistryEndpoint, now);
        registry.CurrentVersion = view.CurrentVersion ?? registry.CurrentVersion;
        registry.ConfigEditorEndpoint = view.ConfigEditorEndpoint;
        // Failing pods found by the workload watch stay causes until its next snapshot says otherwise.
        registry.HealthCauses = WithWorkloadCauses(view.Causes, registry.HealthCauses.Where(c => c.Reason == WorkloadCauseReason).ToList());
        if (RegistryLifecycle.IsOwnedByGateway(registry.State))
        {
            return; // the apply or delete job owns the state until it is done
        }

        if (live.Metadata.DeletionTimestamp is not null)
        {
            return; // going away (a deprovision that missed its deadline): neither drift to repair nor a recovery
        }

        if (RegistryManifest.Drift(registry, live) is { } drift)
        {
            registry.SpecVersion++;
            db.Record(registry, TimelineEntryType.Drift, "SpecEdited", $"Out-of-band edit of the QuayRegistry: {drift}; the gateway re-applies its spec.", now);
            registry.RolloutDeadline = now + options.Value.Deadline;
            db.MoveTo(registry, RegistryState.Applying, "SpecEdited", "Re-applying after an out-of-band edit.", now);
            db.EnqueueJob(RegistryJobs.Apply(registry.Id));
            return;
        }

        if (registry.State == RegistryState.Failed && view.State != RegistryState.Available)
        {
            return; // Failed is kept until the registry recovers or the user retries
        }

        registry.Health = view.State == RegistryState.Blocked ? RegistryHealth.Degraded : view.Health;
        if (view.State == RegistryState.Available)
        {
            BecomeAvailable(registry, view, now);
            return;
        }

        registry.SetCondition(ConditionTypes.Available, "False", view.Reason, view.Message, now);
        db.MoveTo(registry, view.State, view.Reason, view.Message, now);
    }

    /// <summary>
    /// Stores the endpoint the status names; one the gateway will not call (another host, plain http, see
    /// <see cref="QuayDestinations"/>) is recorded in the timeline when it appears, and gets no credential.
    /// </summary>
    private void RecordEndpoint(Registry registry, string? endpoint, DateTimeOffset now)
    {
        if (endpoint != registry.RegistryEndpoint && endpoint is not null
            && Uri.TryCreate(endpoint.TrimEnd('/') + "/", UriKind.Absolute, out var url) && destinations.Refusal(registry, url) is { } refusal)
        {
            db.Record(registry, TimelineEntryType.EndpointRefused, QuayProblem.DestinationRefusedReason, refusal, now);
            logger.LogWarning("Registry {RegistryId} names endpoint {Endpoint}, which the gateway does not call", registry.Id, url.GetLeftPart(UriPartial.Authority));
        }

        registry.RegistryEndpoint = endpoint;
    }

    private void BecomeAvailable(Registry registry, RolloutView view, DateTimeOffset now)
    {
        registry.SetCondition(ConditionTypes.Available, "True", view.Reason, view.Message, now);
        // Up already, or up with a failed bootstrap step that waits for POST /retry (never repeated by itself).
        if (registry.State is RegistryState.Available or RegistryState.Bootstrapping or RegistryState.Ready || RegistryLifecycle.FailedInBootstrap(registry))
        {
            return;
        }

        if (registry.AvailableAt is null && registry.RolloutStartedAt is { } started)
        {
            metrics.RecordRolloutDuration(now - started, registry.Cluster, nameof(RegistryState.Available));
        }

        registry.AvailableAt ??= now;
        var recovered = registry.State == RegistryState.Degraded;
        db.MoveTo(registry, RegistryState.Available, view.Reason, recovered ? "The registry recovered." : "All components are healthy.", now);
        if (registry.Spec.InitialUser is null || RegistryLifecycle.IsBootstrapped(registry))
        {
            // Ready = Available with the bootstrap done, or none asked for.
            db.MoveTo(registry, RegistryState.Ready, "RegistryReady",
                registry.Spec.InitialUser is null ? "Available; no bootstrap was requested." : "Available again; the bootstrap was done before.", now);
            return;
        }

        db.MoveTo(registry, RegistryState.Bootstrapping, "BootstrapStarted",
            $"Creating Quay's first user '{registry.Spec.InitialUser.Username}' and {registry.Spec.Organizations.Count} organization(s).", now);
        db.EnqueueJob(RegistryJobs.Bootstrap(registry.Id, requestedByRetry: false));
    }

    /// <summary>
    /// Stores the registry's pods, jobs and HPAs as the watches see them (in their own row: the registry's row and ETag
    /// change only when something shown on the registry does), and puts what matters in the timeline and the health
    /// causes: a pod that restarts or starts failing (a crash loop shows as climbing restarts), a job that fails.
    /// </summary>
    private async Task RecordWorkloadsAsync(Registry registry, RegistryWorkloads workloads, CancellationToken ct)
    {
        var stored = await db.ObservedWorkloads.SingleOrDefaultAsync(w => w.RegistryId == registry.Id, ct);
        var before = stored?.Workloads;
        if (before is not null && JsonEquals(before, workloads))
        {
            return;
        }

        var now = time.GetUtcNow();
        var oldPods = (before?.Pods ?? []).ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var pod in workloads.Pods)
        {
            var old = oldPods.GetValueOrDefault(pod.Name);
            var restarted = pod.Restarts > (old?.Restarts ?? 0);
            if (restarted || (pod.Failing && old?.Status != pod.Status))
            {
                db.Record(registry, restarted ? TimelineEntryType.PodRestarted : TimelineEntryType.PodFailing, pod.Status,
                    $"Pod {pod.Name} ({pod.Component}) is {pod.Status} with {pod.Restarts} restart(s).", now);
            }
        }

        var oldJobs = (before?.Jobs ?? []).ToDictionary(j => j.Name, StringComparer.Ordinal);
        foreach (var job in workloads.Jobs.Where(j => j.Status == "Failed" && oldJobs.GetValueOrDefault(j.Name)?.Status != "Failed"))
        {
            db.Record(registry, TimelineEntryType.JobFailed, "Failed", $"Job {job.Name} ({job.Component}) failed.", now);
        }

        if (stored is null)
        {
            db.ObservedWorkloads.Add(new ObservedWorkloads { RegistryId = registry.Id, Workloads = workloads, ObservedAt = now });
        }
        else
        {
            stored.Workloads = workloads;
            stored.ObservedAt = now;
        }

        var failing = workloads.Pods.Where(p => p.Failing)
            .Select(p => new HealthCause(p.Component, WorkloadCauseReason, $"Pod {p.Name} is {p.Status} with {p.Restarts} restart(s)."));
        var causes = WithWorkloadCauses(registry.HealthCauses, failing.ToList());
        if (!causes.SequenceEqual(registry.HealthCauses))
        {
            registry.HealthCauses = causes;
        }
    }

    /// <summary>The operator's causes, plus a failing pod of a component the operator does not name (yet).</summary>
    private static List<HealthCause> WithWorkloadCauses(IEnumerable<HealthCause> causes, IReadOnlyList<HealthCause> failingPods)
    {
        var result = causes.Where(c => c.Reason != WorkloadCauseReason).ToList();
        result.AddRange(failingPods.Where(p => result.All(c => c.Component != p.Component)).DistinctBy(p => p.Component));
        return result;
    }

    private static bool JsonEquals(RegistryWorkloads a, RegistryWorkloads b) =>
        System.Text.Json.JsonSerializer.Serialize(a) == System.Text.Json.JsonSerializer.Serialize(b);

    private void RecordConditionChanges(Registry registry, JsonObject? status, DateTimeOffset now)
    {
        var before = StatusInterpreter.Conditions(registry.ParseOperatorStatus())
            .ToDictionary(c => c.Type);
        foreach (var condition in StatusInterpreter.Conditions(status))
        {
            if (before.TryGetValue(condition.Type, out var old) && old.Status == condition.Status && old.Reason == condition.Reason)
            {
                continue;
            }

            db.Record(registry, TimelineEntryType.ConditionChanged, condition.Reason ?? condition.Type,
                $"{condition.Type}={condition.Status}{(string.IsNullOrEmpty(condition.Message) ? "" : ": " + condition.Message)}", now);
        }
    }
}
