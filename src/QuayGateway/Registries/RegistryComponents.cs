using System.Globalization;
using System.Security.Claims;
using System.Text.Json.Nodes;
using k8s.Models;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Clusters;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Rollout;

namespace QuayGateway.Registries;

/// <summary>A pod as <c>oc get pods</c> shows it.</summary>
public sealed record PodView(string Name, string Ready, string Status, int Restarts, string Age);

/// <summary>A job as <c>oc get jobs</c> shows it.</summary>
public sealed record JobView(string Name, string Status, string Completions, string Age);

/// <summary>An HPA as <c>oc get hpa</c> shows it.</summary>
public sealed record HpaView(string Name, string Reference, string Targets, int? MinPods, int MaxPods, int? Replicas, string Age);

public sealed record ComponentView(string Kind, bool Managed, OperatorCondition? Condition, IReadOnlyList<PodView> Pods, IReadOnlyList<JobView> Jobs, HpaView? Hpa);

public sealed record ComponentsResponse(Guid Id, string Namespace, IReadOnlyList<ComponentView> Components);

/// <summary>
/// <c>GET /v1/registries/{id}/components</c>: per component kind, whether it is managed, its ready condition, its pods,
/// jobs and HPA, read live from the cluster by the operator's label <c>quay-operator/quayregistry</c>.
/// </summary>
public static class RegistryComponents
{
    private const string RegistryLabel = "quay-operator/quayregistry";
    private const string ComponentLabel = "quay-component";

    /// <summary>The operator's <c>quay-component</c> pod labels, by component kind (reference NOTES.md).</summary>
    private static readonly Dictionary<string, string> KindOfPodComponent = new(StringComparer.Ordinal)
    {
        ["quay-app"] = "quay", ["quay-app-upgrade"] = "quay", ["quay-config-editor"] = "quay", ["quay-postgres-init"] = "postgres",
        ["postgres"] = "postgres", ["quay-database"] = "postgres", ["redis"] = "redis", ["clair-app"] = "clair",
        ["clair-postgres"] = "clairpostgres", ["quay-mirror"] = "mirror",
    };

    public static async Task<Results<Ok<ComponentsResponse>, ProblemHttpResult>> HandleAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, ClusterConnections clusters, TimeProvider time, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).AsNoTracking().FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var cluster = clusters.Get(registry.Cluster);
        var selector = $"{RegistryLabel}={registry.Name}";
        V1PodList pods;
        V1JobList jobs;
        V2HorizontalPodAutoscalerList hpas;
        try
        {
            pods = await cluster.ListPodsAsync(registry.Namespace, selector, ct);
            jobs = await cluster.ListJobsAsync(registry.Namespace, selector, ct);
            hpas = await cluster.ListHorizontalPodAutoscalersAsync(registry.Namespace, selector, ct);
        }
        catch (ClusterCallException e)
        {
            return Problems.Problem(StatusCodes.Status502BadGateway, ProblemTypes.ClusterUnavailable, "Cluster unavailable",
                $"Cluster '{registry.Cluster}' could not be read: {e.Message}");
        }

        var now = time.GetUtcNow();
        var conditions = StatusInterpreter.Conditions(registry.ParseOperatorStatus());
        var managed = ManagedKinds(registry);
        var views = QuayComponents.Kinds.Select(kind => new ComponentView(
            kind,
            managed.GetValueOrDefault(kind, true),
            conditions.FirstOrDefault(c => c.Type.StartsWith("Component", StringComparison.Ordinal) && c.Type.EndsWith("Ready", StringComparison.Ordinal)
                                           && StatusInterpreter.ComponentOf(c.Type) == kind),
            pods.Items.Where(p => KindOf(p.Metadata) == kind).OrderBy(p => p.Metadata.Name, StringComparer.Ordinal).Select(p => Pod(p, now)).ToList(),
            jobs.Items.Where(j => KindOf(j.Spec?.Template?.Metadata ?? j.Metadata) == kind || KindOf(j.Metadata) == kind)
                .Select(j => Job(j, now)).ToList(),
            hpas.Items.Where(h => HpaKind(h) == kind).Select(h => Hpa(h, now)).FirstOrDefault()));
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

    private static string? KindOf(V1ObjectMeta? metadata) =>
        metadata?.Labels?.TryGetValue(ComponentLabel, out var component) == true ? KindOfPodComponent.GetValueOrDefault(component) : null;

    private static string? HpaKind(V2HorizontalPodAutoscaler hpa) =>
        hpa.Spec?.ScaleTargetRef?.Name is { } target
            ? target.EndsWith("-quay-app", StringComparison.Ordinal) ? "quay"
            : target.EndsWith("-clair-app", StringComparison.Ordinal) ? "clair"
            : target.EndsWith("-quay-mirror", StringComparison.Ordinal) ? "mirror" : null
            : null;

    private static PodView Pod(V1Pod pod, DateTimeOffset now)
    {
        var containers = pod.Status?.ContainerStatuses ?? [];
        var total = pod.Spec?.Containers?.Count ?? containers.Count;
        var status = pod.Metadata.DeletionTimestamp is not null ? "Terminating"
            : containers.Select(c => c.State?.Waiting?.Reason ?? c.State?.Terminated?.Reason).FirstOrDefault(r => r is not null)
              ?? pod.Status?.Reason ?? pod.Status?.Phase ?? "Unknown";
        return new PodView(pod.Metadata.Name, $"{containers.Count(c => c.Ready)}/{Math.Max(total, 1)}", status,
            containers.Sum(c => c.RestartCount), Age(pod.Metadata.CreationTimestamp, now));
    }

    private static JobView Job(V1Job job, DateTimeOffset now)
    {
        var conditions = job.Status?.Conditions ?? [];
        var status = conditions.Any(c => c.Type == "Complete" && c.Status == "True") ? "Complete"
            : conditions.Any(c => c.Type == "Failed" && c.Status == "True") ? "Failed"
            : "Running";
        return new JobView(job.Metadata.Name, status, $"{job.Status?.Succeeded ?? 0}/{job.Spec?.Completions ?? 1}", Age(job.Metadata.CreationTimestamp, now));
    }

    private static HpaView Hpa(V2HorizontalPodAutoscaler hpa, DateTimeOffset now)
    {
        var current = hpa.Status?.CurrentMetrics ?? [];
        var targets = (hpa.Spec?.Metrics ?? []).Select(m =>
        {
            var name = m.Resource?.Name;
            var value = current.FirstOrDefault(c => c.Resource?.Name == name)?.Resource?.Current?.AverageUtilization;
            return $"{(value is null ? "<unknown>" : value.Value.ToString(CultureInfo.InvariantCulture) + "%")}/{m.Resource?.Target?.AverageUtilization}%";
        });
        return new HpaView(hpa.Metadata.Name, $"{hpa.Spec?.ScaleTargetRef?.Kind}/{hpa.Spec?.ScaleTargetRef?.Name}", string.Join(", ", targets),
            hpa.Spec?.MinReplicas, hpa.Spec?.MaxReplicas ?? 0, hpa.Status?.CurrentReplicas, Age(hpa.Metadata.CreationTimestamp, now));
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
