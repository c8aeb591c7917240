using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Clusters;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Registries.Api;

/// <summary>A pod as <c>oc get pods</c> shows it.</summary>
/// <param name="Name">The pod's name.</param>
/// <param name="Ready">Ready containers out of all, as <c>oc get pods</c> shows it (<c>1/1</c>).</param>
/// <param name="Status">The pod's status as <c>oc get pods</c> shows it (<c>Running</c>, <c>ContainerCreating</c>, <c>CrashLoopBackOff</c>, <c>Completed</c>, ...).</param>
/// <param name="Restarts">How often its containers restarted.</param>
/// <param name="Age">How long ago the pod was created, as <c>oc</c> shows it (<c>5m</c>, <c>2d3h</c>).</param>
public sealed record PodView(string Name, string Ready, string Status, int Restarts, string Age);

/// <summary>A job as <c>oc get jobs</c> shows it.</summary>
/// <param name="Name">The job's name.</param>
/// <param name="Status"><c>Running</c>, <c>Complete</c> or <c>Failed</c>.</param>
/// <param name="Completions">Succeeded pods out of those wanted (<c>1/1</c>).</param>
/// <param name="Age">How long ago the job was created, as <c>oc</c> shows it.</param>
public sealed record JobView(string Name, string Status, string Completions, string Age);

/// <summary>An HPA as <c>oc get hpa</c> shows it.</summary>
/// <param name="Name">The HPA's name.</param>
/// <param name="Reference">What it scales (<c>Deployment/example-registry-quay-app</c>).</param>
/// <param name="Targets">Current and target utilization, as <c>oc get hpa</c> shows it (<c>45%/90%</c>).</param>
/// <param name="MinPods">The fewest replicas it keeps.</param>
/// <param name="MaxPods">The most replicas it may scale to.</param>
/// <param name="Replicas">The replicas it runs now; null until it reports.</param>
/// <param name="Age">How long ago the HPA was created, as <c>oc</c> shows it.</param>
public sealed record HpaView(string Name, string Reference, string Targets, int? MinPods, int MaxPods, int? Replicas, string Age);

/// <param name="Kind">The component kind.</param>
/// <param name="Managed">Whether the operator manages it.</param>
/// <param name="Condition">Its <c>Component*Ready</c> condition from the operator; null on operators that do not write one.</param>
/// <param name="Pods">Its pods, as <c>oc get pods</c> lists them.</param>
/// <param name="Jobs">Its jobs (the upgrade and init jobs), as <c>oc get jobs</c> lists them.</param>
/// <param name="Hpa">Its horizontal pod autoscaler; null when it has none.</param>
public sealed record ComponentView(string Kind, bool Managed, OperatorCondition? Condition, IReadOnlyList<PodView> Pods, IReadOnlyList<JobView> Jobs, HpaView? Hpa);

/// <param name="Id">The registry's id.</param>
/// <param name="Namespace">The namespace the workloads run in.</param>
/// <param name="Components">Per component kind, in the CRD's order.</param>
public sealed record ComponentsResponse(Guid Id, string Namespace, IReadOnlyList<ComponentView> Components);

/// <summary>
/// <c>GET /v1/registries/{id}/components</c>: per component kind, whether it is managed, its ready condition, its pods,
/// jobs and HPA. The pods, jobs and HPAs come from the cluster-wide watches (stored with the registry), so reading
/// this costs the cluster nothing and every replica answers the same.
/// </summary>
public static class GetRegistryComponents
{
    public static async Task<Results<Ok<ComponentsResponse>, ProblemHttpResult>> HandleAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, TimeProvider time, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).AsNoTracking().FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var now = time.GetUtcNow();
        var workloads = await db.ObservedWorkloads.AsNoTracking().Where(w => w.RegistryId == id).Select(w => w.Workloads).SingleOrDefaultAsync(ct)
                        ?? new RegistryWorkloads([], [], []);
        var conditions = StatusInterpreter.Conditions(registry.ParseOperatorStatus());
        var managed = ManagedKinds(registry);
        var views = QuayComponents.Kinds.Select(kind => new ComponentView(
            kind,
            managed.GetValueOrDefault(kind, true),
            conditions.FirstOrDefault(c => ConditionTypes.IsComponentReady(c.Type)
                                           && StatusInterpreter.ComponentOf(c.Type) == kind),
            workloads.Pods.Where(p => p.Component == kind).Select(p => new PodView(p.Name, p.Ready, p.Status, p.Restarts, Age(p.Created, now))).ToList(),
            workloads.Jobs.Where(j => j.Component == kind).Select(j => new JobView(j.Name, j.Status, j.Completions, Age(j.Created, now))).ToList(),
            workloads.Hpas.Where(h => h.Component == kind)
                .Select(h => new HpaView(h.Name, h.Reference, h.Targets, h.MinPods, h.MaxPods, h.Replicas, Age(h.Created, now))).FirstOrDefault()));
        return TypedResults.Ok(new ComponentsResponse(registry.Id, registry.Namespace, views.ToList()));
    }

    private static Dictionary<string, bool> ManagedKinds(Registry registry)
    {
        var live = registry.AppliedManifest is null ? null : JsonNode.Parse(registry.AppliedManifest)?["spec"]?["components"] as JsonArray;
        var result = (live ?? []).OfType<JsonObject>()
            .Where(c => c["kind"] is not null)
            .ToDictionary(c => (string)c["kind"]!, c => (bool?)c["managed"] ?? true, StringComparer.Ordinal);
        foreach (var c in registry.Spec.Components)
        {
            result[c.Kind] = c.Managed ?? true;
        }

        return result;
    }

    /// <summary>kubectl's age format: 42s, 3m42s, 5h12m, 13d.</summary>
    public static string Age(DateTime? created, DateTimeOffset now)
    {
        if (created is null)
        {
            return "<unknown>";
        }

        var age = now - new DateTimeOffset(DateTime.SpecifyKind(created.Value, DateTimeKind.Utc));
        return age.TotalSeconds < 0 ? "0s"
            : age.TotalMinutes < 2 ? $"{(int)age.TotalSeconds}s"
            : age.TotalMinutes < 10 ? $"{(int)age.TotalMinutes}m{age.Seconds}s"
            : age.TotalHours < 3 ? $"{(int)age.TotalMinutes}m"
            : age.TotalHours < 8 ? $"{(int)age.TotalHours}h{age.Minutes}m"
            : age.TotalDays < 2 ? $"{(int)age.TotalHours}h"
            : $"{(int)age.TotalDays}d";
    }
}
