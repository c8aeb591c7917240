using System.Globalization;
using k8s.Models;

namespace QuayGateway.Clusters;

/// <summary>A pod of a registry, reduced to what <c>oc get pods</c> shows (age is computed when read).</summary>
public sealed record PodFact(string Name, string Component, string Ready, string Status, int Restarts, DateTime? Created)
{
    /// <summary>Statuses that mean the pod is failing, not merely starting.</summary>
    public bool Failing => Status is "CrashLoopBackOff" or "Error" or "ImagePullBackOff" or "ErrImagePull" or "CreateContainerConfigError"
        or "OOMKilled" or "Failed";
}

public sealed record JobFact(string Name, string Component, string Status, string Completions, DateTime? Created);

public sealed record HpaFact(string Name, string Component, string Reference, string Targets, int? MinPods, int MaxPods, int? Replicas, DateTime? Created);

/// <summary>The pods, jobs and HPAs of one registry as the cluster-wide watches last saw them.</summary>
public sealed record RegistryWorkloads(IReadOnlyList<PodFact> Pods, IReadOnlyList<JobFact> Jobs, IReadOnlyList<HpaFact> Hpas);

/// <summary>
/// Turns the operator's pods, jobs and HPAs into facts, by its labels (reference NOTES.md): every object carries
/// <c>quay-operator/quayregistry: &lt;registry&gt;</c>, and pods and jobs <c>quay-component</c>.
/// </summary>
public static class Workloads
{
    /// <summary>The label the operator puts on everything it creates for a registry; the watches select on it.</summary>
    public const string RegistryLabel = "quay-operator/quayregistry";

    private const string ComponentLabel = "quay-component";

    /// <summary>The operator's <c>quay-component</c> labels, by component kind.</summary>
    private static readonly Dictionary<string, string> KindOfComponentLabel = new(StringComparer.Ordinal)
    {
        ["quay-app"] = "quay", ["quay-app-upgrade"] = "quay", ["quay-config-editor"] = "quay", ["quay-postgres-init"] = "postgres",
        ["postgres"] = "postgres", ["quay-database"] = "postgres", ["redis"] = "redis", ["clair-app"] = "clair",
        ["clair-postgres"] = "clairpostgres", ["quay-mirror"] = "mirror",
    };

    /// <summary>The registry (namespace/name) an object belongs to, or null when it carries no registry label.</summary>
    public static string? RegistryKey(V1ObjectMeta metadata) =>
        metadata.Labels?.TryGetValue(RegistryLabel, out var registry) == true ? $"{metadata.NamespaceProperty}/{registry}" : null;

    public static PodFact Pod(V1Pod pod)
    {
        var containers = pod.Status?.ContainerStatuses ?? [];
        var total = pod.Spec?.Containers?.Count ?? containers.Count;
        var status = pod.Metadata.DeletionTimestamp is not null ? "Terminating"
            : containers.Select(c => c.State?.Waiting?.Reason ?? c.State?.Terminated?.Reason).FirstOrDefault(r => r is not null)
              ?? pod.Status?.Reason ?? pod.Status?.Phase ?? "Unknown";
        return new PodFact(pod.Metadata.Name, KindOf(pod.Metadata) ?? "", $"{containers.Count(c => c.Ready)}/{Math.Max(total, 1)}", status,
            containers.Sum(c => c.RestartCount), pod.Metadata.CreationTimestamp);
    }

    public static JobFact Job(V1Job job)
    {
        var conditions = job.Status?.Conditions ?? [];
        var status = conditions.Any(c => c.Type == "Complete" && c.Status == "True") ? "Complete"
            : conditions.Any(c => c.Type == "Failed" && c.Status == "True") ? "Failed"
            : "Running";
        return new JobFact(job.Metadata.Name, KindOf(job.Spec?.Template?.Metadata) ?? KindOf(job.Metadata) ?? "", status,
            $"{job.Status?.Succeeded ?? 0}/{job.Spec?.Completions ?? 1}", job.Metadata.CreationTimestamp);
    }

    public static HpaFact Hpa(V2HorizontalPodAutoscaler hpa)
    {
        var current = hpa.Status?.CurrentMetrics ?? [];
        var targets = (hpa.Spec?.Metrics ?? []).Select(m =>
        {
            var name = m.Resource?.Name;
            var value = current.FirstOrDefault(c => c.Resource?.Name == name)?.Resource?.Current?.AverageUtilization;
            return $"{(value is null ? "<unknown>" : value.Value.ToString(CultureInfo.InvariantCulture) + "%")}/{m.Resource?.Target?.AverageUtilization}%";
        });
        var target = hpa.Spec?.ScaleTargetRef?.Name ?? "";
        var component = target.EndsWith("-quay-app", StringComparison.Ordinal) ? "quay"
            : target.EndsWith("-clair-app", StringComparison.Ordinal) ? "clair"
            : target.EndsWith("-quay-mirror", StringComparison.Ordinal) ? "mirror" : "";
        return new HpaFact(hpa.Metadata.Name, component, $"{hpa.Spec?.ScaleTargetRef?.Kind}/{target}", string.Join(", ", targets),
            hpa.Spec?.MinReplicas, hpa.Spec?.MaxReplicas ?? 0, hpa.Status?.CurrentReplicas, hpa.Metadata.CreationTimestamp);
    }

    private static string? KindOf(V1ObjectMeta? metadata) =>
        metadata?.Labels?.TryGetValue(ComponentLabel, out var component) == true ? KindOfComponentLabel.GetValueOrDefault(component) : null;
}

/// <summary>
/// The watching replica's picture of every registry's pods, jobs and HPAs, fed by three cluster-wide watches.
/// Written by the watch loops, read by the work queue's workers when a registry's snapshot is stored.
/// </summary>
public sealed class WorkloadCache
{
    private readonly Dictionary<string, Dictionary<string, object>> _byRegistry = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Stores or removes one object's fact; true when the registry's picture changed.</summary>
    public bool Set(string registryKey, string objectKey, object? fact)
    {
        lock (_gate)
        {
            if (!_byRegistry.TryGetValue(registryKey, out var objects))
            {
                if (fact is null)
                {
                    return false;
                }

                _byRegistry[registryKey] = objects = new Dictionary<string, object>(StringComparer.Ordinal);
            }

            if (fact is null)
            {
                return objects.Remove(objectKey);
            }

            if (objects.TryGetValue(objectKey, out var old) && old.Equals(fact))
            {
                return false; // a resync or an unrelated field: nothing the gateway shows changed
            }

            objects[objectKey] = fact;
            return true;
        }
    }

    /// <summary>After a re-list of one kind: forget the objects of that kind that the list no longer has. Returns the registries touched.</summary>
    public IReadOnlyList<string> Retain(string kindPrefix, IReadOnlySet<string> present)
    {
        lock (_gate)
        {
            var touched = new List<string>();
            foreach (var (registry, objects) in _byRegistry)
            {
                var gone = objects.Keys.Where(k => k.StartsWith(kindPrefix, StringComparison.Ordinal) && !present.Contains($"{registry}|{k}")).ToList();
                foreach (var key in gone)
                {
                    objects.Remove(key);
                }

                if (gone.Count > 0)
                {
                    touched.Add(registry);
                }
            }

            return touched;
        }
    }

    public RegistryWorkloads Snapshot(string registryKey)
    {
        lock (_gate)
        {
            var objects = _byRegistry.GetValueOrDefault(registryKey)?.Values ?? (IEnumerable<object>)[];
            return new RegistryWorkloads(
                objects.OfType<PodFact>().OrderBy(p => p.Name, StringComparer.Ordinal).ToList(),
                objects.OfType<JobFact>().OrderBy(j => j.Name, StringComparer.Ordinal).ToList(),
                objects.OfType<HpaFact>().OrderBy(h => h.Name, StringComparer.Ordinal).ToList());
        }
    }
}
