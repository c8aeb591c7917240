using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuayGateway.Sandbox.Kubernetes;

namespace QuayGateway.Sandbox.Operator;

// After a restart from a state folder the store still holds every registry, rolled out, with its workloads. A real
// operator that restarts finds its Deployments up to date and rolls nothing; so does this one: a registry it has not
// seen in this process, whose status already says Available for its generation and whose config Secret was made for
// the bundle it names, is taken over where it stands (healthy, migrations done, its pods and generated keys as they
// are in the store) instead of being rolled out again.
internal sealed partial class QuayOperator
{
    [GeneratedRegex("^(?<hash>[0-9a-f]{10})-[a-z0-9]{5}$")]
    private static partial Regex WorkloadPodRest();

    private void AdoptRolledOut(JsonObject registry, RegistryRollout rollout, string rolloutId, long generation, ConfigBundle bundle)
    {
        if (rollout.RolloutId is not null || rollout.Phase != -1) return;
        if (registry["status"] is not JsonObject status || !IsAvailable(status)) return;
        if (status["observedGeneration"].Long() is { } observed && observed != generation) return;
        var objects = Objects(registry);
        var ns = rollout.Namespace;
        if (_store.Get("secrets", ns, $"{objects.Prefix}quay-config-secret-{RolloutPlan.ShortHash(bundle.ContentHash)}") is null) return;

        rollout.RolloutId = rolloutId;
        rollout.StartedAt = _time.GetTimestamp() - (long)((_settings.PhaseDelay * (Phase.Healthy + 1)).TotalSeconds * _time.TimestampFrequency);
        rollout.Phase = Phase.Healthy - 1;
        rollout.MigrationAttempt = 1;
        rollout.Migration = JobOutcome.Succeeded;
        var upgradeJob = _store.Get("jobs", ns, objects.Prefix + "quay-app-upgrade");
        rollout.MigrationFinishedAt = upgradeJob?["status"]?["completionTime"].Str() is { } finished
            ? DateTimeOffset.Parse(finished, CultureInfo.InvariantCulture)
            : _time.GetUtcNow();
        if (_store.Get("secrets", ns, objects.Prefix + "quay-registry-managed-secret-keys")?["data"] is JsonObject keys)
        {
            rollout.ManagedKeys = (JsonObject)keys.DeepClone();
        }

        var workloads = Workload.For(_profile);
        foreach (var pod in _store.List("pods", ns))
        {
            var name = pod.Name()!;
            var created = pod["metadata"]?["creationTimestamp"].Str() is { } at ? DateTimeOffset.Parse(at, CultureInfo.InvariantCulture) : _time.GetUtcNow();
            foreach (var workload in workloads)
            {
                var start = objects.Prefix + workload.Suffix + "-";
                if (name.StartsWith(start, StringComparison.Ordinal) && WorkloadPodRest().Match(name[start.Length..]) is { Success: true } match)
                {
                    Add(workload.Suffix, new SimulatedPod(name, match.Groups["hash"].Value, created) { StartedAt = created });
                }
            }

            var job = objects.Prefix + "quay-app-upgrade-";
            if (name.StartsWith(job, StringComparison.Ordinal) && name.Length == job.Length + 5)
            {
                Add("quay-app-upgrade", new SimulatedPod(name, "", created) { Attempt = 1, StartedAt = created });
            }
        }

        void Add(string suffix, SimulatedPod pod)
        {
            if (!rollout.Pods.TryGetValue(suffix, out var pods)) rollout.Pods[suffix] = pods = [];
            pods.Add(pod);
        }
    }
}
