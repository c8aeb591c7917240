using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Sandbox.Faults;
using QuayGateway.Sandbox.Kubernetes;

namespace QuayGateway.Sandbox.Operator;

/// <summary>
/// One object the plan wants. <paramref name="SpecKey"/> and <paramref name="StatusKey"/> change exactly when the
/// object's spec or status would, so unchanged objects are neither built nor written again.
/// </summary>
internal sealed record DesiredObject(string Resource, string Name, string SpecKey, string StatusKey, Func<JsonObject> Build);

/// <summary>
/// The desired objects of one registry at one phase of its rollout: secrets, Deployments with their pods (as the
/// ReplicaSet controller would run them), the migration Job, and HPAs; plus the health the status is built from.
/// </summary>
internal sealed class RolloutPlan(
    OperatorProfile profile, KubeObjects objects, RegistryRollout rollout, RegistrySpec spec, ConfigBundle bundle, OperatorFaults faults, DateTimeOffset now)
{
    private const string UpgradeJob = "quay-app-upgrade";
    private const string PostgresInitJob = "quay-postgres-init";

    private readonly List<DesiredObject> _desired = [];

    public Dictionary<string, WorkloadHealth> Health { get; } = new(StringComparer.Ordinal);

    /// <summary>The migration Job's state; null before the migrating phase.</summary>
    public JobOutcome? Migrations { get; private set; }

    public string? ConfigEditorSecret { get; private set; }

    public bool AnyCrashLooping { get; private set; }

    public bool RestartsTicked { get; private set; }

    public IReadOnlyList<DesiredObject> Build(int phase, JsonObject bundleSecret, bool restartTick)
    {
        AddSecrets(bundleSecret);
        foreach (var workload in Workload.For(profile))
        {
            if (workload.IsManaged(spec, profile))
            {
                AddWorkload(workload, phase, restartTick);
            }
            else
            {
                rollout.Pods.Remove(workload.Suffix);
            }
        }

        if (profile.IsLegacy && spec.IsManaged("postgres"))
        {
            AddJob(PostgresInitJob, "registry.redhat.io/rhel8/postgresql-13", attempt: 0,
                phase >= Phase.Migrating ? JobOutcome.Succeeded : JobOutcome.Running, now);
        }

        if (phase >= Phase.Migrating)
        {
            Migrations = rollout.Migration ?? JobOutcome.Running;
            if (rollout.Migration is not null)
            {
                rollout.MigrationFinishedAt ??= now;
            }

            AddJob(UpgradeJob, $"registry.redhat.io/quay/quay-rhel8:v{profile.QuayVersion}", rollout.MigrationAttempt, Migrations.Value, rollout.MigrationFinishedAt ?? now);
        }
        else
        {
            rollout.MigrationFinishedAt = null;
        }

        return _desired;
    }

    private void AddSecrets(JsonObject bundleSecret)
    {
        rollout.ManagedKeys ??= new JsonObject
        {
            ["DATABASE_SECRET_KEY"] = RandomValue(),
            ["SECRET_KEY"] = RandomValue(),
            ["DB_ROOT_PW"] = RandomValue(),
            ["CONFIG_EDITOR_PW"] = RandomValue(),
            ["SECURITY_SCANNER_V4_PSK"] = RandomValue(),
        };
        var managedKeys = rollout.ManagedKeys;
        _desired.Add(new("secrets", objects.Prefix + "quay-registry-managed-secret-keys", "", "",
            () => objects.Secret(objects.Prefix + "quay-registry-managed-secret-keys", (JsonObject)managedKeys.DeepClone())));

        var configSecret = $"{objects.Prefix}quay-config-secret-{ShortHash(bundle.ContentHash)}";
        _desired.Add(new("secrets", configSecret, bundle.ContentHash, "", () =>
        {
            var config = (JsonObject?)bundleSecret["data"]?.DeepClone() ?? [];
            foreach (var (key, value) in bundleSecret["stringData"] as JsonObject ?? [])
            {
                config[key] = Convert.ToBase64String(Encoding.UTF8.GetBytes(value.Str() ?? ""));
            }

            return objects.Secret(configSecret, config);
        }));

        if (profile.IsLegacy)
        {
            var editorSecret = $"{objects.Prefix}quay-config-editor-credentials-{ShortHash(bundle.ContentHash + "editor")}";
            ConfigEditorSecret = editorSecret;
            _desired.Add(new("secrets", editorSecret, "", "", () => objects.Secret(editorSecret, new JsonObject
            {
                ["username"] = Convert.ToBase64String("quayconfig"u8.ToArray()),
                ["password"] = managedKeys["CONFIG_EDITOR_PW"]!.DeepClone(),
            })));
        }
    }

    private void AddWorkload(Workload workload, int phase, bool restartTick)
    {
        var replicas = workload.Replicas(spec);
        var hash = TemplateHash(workload);
        if (!rollout.Pods.TryGetValue(workload.Suffix, out var pods))
        {
            pods = [];
            rollout.Pods[workload.Suffix] = pods;
        }

        // Apps start once migrations succeeded; databases as soon as their phase comes.
        var canRun = phase >= workload.ReadyPhase && (workload.ReadyPhase < Phase.Migrated || rollout.Migration == JobOutcome.Succeeded);
        var crashing = faults.IsCrashLooping(rollout.Namespace, rollout.Name, workload.Kind, workload.Suffix);
        var current = pods.Where(p => p.TemplateHash == hash).ToList();
        while (current.Count < replicas)
        {
            var pod = new SimulatedPod($"{objects.Prefix}{workload.Suffix}-{hash}-{QuayOperator.RandomSuffix()}", hash, now);
            pods.Add(pod);
            current.Add(pod);
        }

        foreach (var extra in current.Skip(replicas).ToList())
        {
            pods.Remove(extra);
            current.Remove(extra);
        }

        foreach (var pod in current)
        {
            if (canRun)
            {
                pod.StartedAt ??= now;
            }

            pod.CrashLooping = crashing && pod.Running;
            if (pod.CrashLooping && restartTick)
            {
                pod.Restarts++;
                pod.LastCrashAt = now;
                RestartsTicked = true;
            }

            AnyCrashLooping |= pod.CrashLooping;
        }

        // A rolling update: the old ReplicaSet's pods go once the new ones are all ready.
        if (current.All(p => p.Ready))
        {
            pods.RemoveAll(p => p.TemplateHash != hash);
        }

        var ready = Math.Min(replicas, pods.Count(p => p.Ready));
        Health[workload.Suffix] = new WorkloadHealth(workload, replicas, ready);
        _desired.Add(new("deployments", objects.Prefix + workload.Suffix, $"{replicas}/{hash}", $"{replicas}/{hash}/{ready}",
            () => objects.Deployment(workload, replicas, hash, ready)));
        foreach (var pod in pods)
        {
            _desired.Add(new("pods", pod.Name, "", PodKey(pod, null), () => objects.Pod(pod, workload.Suffix, workload.Image, new Dictionary<string, string>
            {
                [KubeObjects.ComponentLabel] = workload.PodComponent,
                ["pod-template-hash"] = pod.TemplateHash,
            })));
        }

        if (workload.HasHpa(spec))
        {
            _desired.Add(new("horizontalpodautoscalers", objects.Prefix + workload.Suffix, "", $"{replicas}", () => objects.Hpa(workload, replicas)));
        }
    }

    private void AddJob(string suffix, string image, int attempt, JobOutcome outcome, DateTimeOffset finishedAt)
    {
        if (!rollout.Pods.TryGetValue(suffix, out var pods) || pods.FirstOrDefault()?.Attempt != attempt)
        {
            pods = [new SimulatedPod($"{objects.Prefix}{suffix}-{QuayOperator.RandomSuffix()}", "", now) { Attempt = attempt }];
            rollout.Pods[suffix] = pods;
        }

        var pod = pods[0];
        if (outcome != JobOutcome.Running)
        {
            pod.StartedAt ??= now;
        }

        _desired.Add(new("jobs", objects.Prefix + suffix, "", $"{attempt}/{outcome}",
            () => objects.Job(suffix, image, outcome, pod.Created, outcome == JobOutcome.Running ? null : finishedAt)));
        _desired.Add(new("pods", pod.Name, "", PodKey(pod, outcome), () => objects.Pod(pod, suffix, image, new Dictionary<string, string>
        {
            [KubeObjects.ComponentLabel] = suffix,
            ["job-name"] = objects.Prefix + suffix,
        }, outcome)));
    }

    private static string PodKey(SimulatedPod pod, JobOutcome? job) => $"{pod.Running}/{pod.CrashLooping}/{pod.Restarts}/{job}";

    /// <summary>
    /// The pod-template-hash: what the pods run. Workloads that mount the config roll when the bundle changes;
    /// any component's overrides roll that component.
    /// </summary>
    private string TemplateHash(Workload workload)
    {
        var overrides = spec.Find(workload.Kind)?.Overrides?.ToJsonString() ?? "";
        var input = $"{objects.Prefix}{workload.Suffix}|{(workload.UsesConfig ? bundle.ContentHash : "")}|{overrides}";
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(input)))[..10];
    }

    /// <summary>A 10-character name suffix from the apiserver's generated-name alphabet, derived from a value.</summary>
    internal static string ShortHash(string value)
    {
        const string alphabet = "bcdfghjklmnpqrstvwxz2456789";
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes(value));
        return new string(bytes.Take(10).Select(b => alphabet[b % alphabet.Length]).ToArray());
    }

    private static string RandomValue() =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(Convert.ToBase64String(RandomNumberGenerator.GetBytes(24))));
}
