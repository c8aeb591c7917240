using System.Text.Json.Nodes;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Clusters;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Quay;
using QuayGateway.Registries;

namespace QuayGateway.Rollout;

/// <summary>
/// Lands what a cluster says about a QuayRegistry in PostgreSQL: the registry row (state, health, endpoint, the
/// operator's status verbatim) and a timeline of condition transitions. Used by the watch and by resync alike.
/// </summary>
public sealed class RolloutTracker(GatewayDb db, IBackgroundJobClient jobs, TimeProvider time, GatewayMetrics metrics, ILogger<RolloutTracker> logger)
{
    private static readonly HashSet<RegistryState> Settled = [RegistryState.Accepted, RegistryState.Applying, RegistryState.Deleting, RegistryState.Deleted];

    public async Task ObserveAsync(string cluster, QuayRegistryResource live, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var registry = await FindAsync(cluster, live, ct);
            if (registry is null)
            {
                return;
            }

            var next = Apply(registry, live);
            try
            {
                await db.SaveChangesAsync(ct);
                Start(next, registry.Id);
                return;
            }
            catch (DbUpdateConcurrencyException) when (attempt < 5)
            {
                db.ChangeTracker.Clear(); // a job changed the row meanwhile: read it again and re-apply the observation
            }
        }
    }

    /// <summary>The QuayRegistry is gone. Expected while deprovisioning; otherwise drift: record it and re-apply.</summary>
    public async Task ObserveMissingAsync(Registry registry, CancellationToken ct)
    {
        if (Settled.Contains(registry.State) || registry.State == RegistryState.Failed || registry.AppliedSpecVersion == 0)
        {
            return;
        }

        var now = time.GetUtcNow();
        registry.Health = RegistryHealth.Missing;
        registry.HealthCauses = [new HealthCause("quayregistry", "Missing", "The QuayRegistry was deleted outside the gateway; re-applying it.")];
        registry.SpecVersion++;
        registry.UpdatedAt = now;
        db.Record(registry, "Drift", "QuayRegistryMissing", "The QuayRegistry disappeared from the cluster; the gateway re-applies it.", now);
        db.MoveTo(registry, RegistryState.Applying, "QuayRegistryMissing", "Re-applying the missing QuayRegistry.", now);
        await db.SaveChangesAsync(ct);
        jobs.Enqueue<ApplyRegistryJob>(job => job.RunAsync(registry.Id, CancellationToken.None));
        logger.LogWarning("QuayRegistry {Namespace}/{Name} on {Cluster} disappeared; re-applying", registry.Namespace, registry.Name, registry.Cluster);
    }

    private async Task<Registry?> FindAsync(string cluster, QuayRegistryResource live, CancellationToken ct)
    {
        if (live.Metadata.Annotations?.TryGetValue(ClusterClient.RegistryIdAnnotation, out var value) == true && Guid.TryParse(value, out var id))
        {
            return await db.Registries.SingleOrDefaultAsync(r => r.Id == id && r.Cluster == cluster, ct);
        }

        return await db.Registries.SingleOrDefaultAsync(r => r.Cluster == cluster && r.Namespace == live.Metadata.NamespaceProperty
                                                             && r.Name == live.Metadata.Name && r.State != RegistryState.Deleted, ct);
    }

    /// <summary>Starts the work an observation calls for, once the caller has saved it.</summary>
    public void Start(NextStep next, Guid registryId)
    {
        switch (next)
        {
            case NextStep.Reapply:
                jobs.Enqueue<ApplyRegistryJob>(job => job.RunAsync(registryId, CancellationToken.None));
                break;
            case NextStep.Bootstrap:
                jobs.Enqueue<BootstrapJob>(job => job.RunAsync(registryId, false, CancellationToken.None));
                break;
        }
    }

    /// <summary>
    /// Applies one observation of the live object to the (tracked) row, in the caller's unit of work, and says what
    /// must run next: a re-apply after an out-of-band edit, or the bootstrap once the registry is Available. The
    /// caller saves, then calls <see cref="Start"/>.
    /// </summary>
    public NextStep Apply(Registry registry, QuayRegistryResource live)
    {
        var now = time.GetUtcNow();
        var view = StatusInterpreter.Interpret(live, registry.State);
        RecordConditionChanges(registry, live.Status, now);

        registry.OperatorStatus = live.Status?.ToJsonString();
        registry.Generation = view.Generation;
        registry.ObservedGeneration = view.ObservedGeneration;
        registry.RegistryEndpoint = view.RegistryEndpoint ?? registry.RegistryEndpoint;
        registry.CurrentVersion = view.CurrentVersion ?? registry.CurrentVersion;
        registry.ConfigEditorEndpoint = view.ConfigEditorEndpoint;
        registry.HealthCauses = view.Causes.ToList();
        registry.UpdatedAt = now;
        if (Settled.Contains(registry.State))
        {
            return NextStep.None; // the apply or delete job owns the state until it is done
        }

        if (RegistryManifest.Drift(registry, live) is { } drift)
        {
            registry.SpecVersion++;
            db.Record(registry, "Drift", "SpecEdited", $"Out-of-band edit of the QuayRegistry: {drift}; the gateway re-applies its spec.", now);
            db.MoveTo(registry, RegistryState.Applying, "SpecEdited", "Re-applying after an out-of-band edit.", now);
            return NextStep.Reapply;
        }

        if (registry.State == RegistryState.Failed && view.State != RegistryState.Available)
        {
            return NextStep.None; // Failed is kept until the registry recovers or the user retries
        }

        registry.Health = view.State == RegistryState.Blocked ? RegistryHealth.Degraded : view.Health;
        if (view.State == RegistryState.Available)
        {
            return BecomeAvailable(registry, view, now);
        }

        registry.SetCondition("Available", "False", view.Reason, view.Message, now);
        db.MoveTo(registry, view.State, view.Reason, view.Message, now);
        return NextStep.None;
    }

    private NextStep BecomeAvailable(Registry registry, RolloutView view, DateTimeOffset now)
    {
        registry.SetCondition("Available", "True", view.Reason, view.Message, now);
        // Up already, or up with a failed bootstrap step that waits for POST /retry (never repeated by itself).
        if (registry.State is RegistryState.Available or RegistryState.Bootstrapping or RegistryState.Ready || BootstrapJob.FailedInBootstrap(registry))
        {
            return NextStep.None;
        }

        if (registry.AvailableAt is null && registry.RolloutStartedAt is { } started)
        {
            metrics.RecordRolloutDuration(now - started, registry.Cluster, nameof(RegistryState.Available));
        }

        registry.AvailableAt ??= now;
        var recovered = registry.State == RegistryState.Degraded;
        db.MoveTo(registry, RegistryState.Available, view.Reason, recovered ? "The registry recovered." : "All components are healthy.", now);
        if (registry.Spec.InitialUser is null || BootstrapJob.IsDone(registry))
        {
            // Ready = Available with the bootstrap done, or none asked for.
            db.MoveTo(registry, RegistryState.Ready, "RegistryReady",
                registry.Spec.InitialUser is null ? "Available; no bootstrap was requested." : "Available again; the bootstrap was done before.", now);
            return NextStep.None;
        }

        db.MoveTo(registry, RegistryState.Bootstrapping, "BootstrapStarted",
            $"Creating Quay's first user '{registry.Spec.InitialUser.Username}' and {registry.Spec.Organizations.Count} organization(s).", now);
        return NextStep.Bootstrap;
    }

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

            db.Record(registry, "ConditionChanged", condition.Reason ?? condition.Type,
                $"{condition.Type}={condition.Status}{(string.IsNullOrEmpty(condition.Message) ? "" : ": " + condition.Message)}", now);
        }
    }
}

/// <summary>What an observation calls for after it is saved.</summary>
public enum NextStep
{
    None,
    Reapply,
    Bootstrap,
}
