using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Operator;

/// <summary>A pod the simulated ReplicaSet or Job controller runs, and how far it has come.</summary>
internal sealed class SimulatedPod(string name, string templateHash, DateTimeOffset created)
{
    public string Name { get; } = name;

    public string TemplateHash { get; } = templateHash;

    public DateTimeOffset Created { get; } = created;

    public DateTimeOffset? StartedAt { get; set; }

    /// <summary>For Job pods: the migration attempt it belongs to.</summary>
    public int Attempt { get; init; }

    public bool Running => StartedAt is not null;

    public bool CrashLooping { get; set; }

    public int Restarts { get; set; }

    /// <summary>When the container last crashed; kubectl shows it as "RESTARTS 5 (40s ago)".</summary>
    public DateTimeOffset? LastCrashAt { get; set; }

    public bool Ready => Running && !CrashLooping;
}

/// <summary>The operator's memory of one QuayRegistry: which rollout it is in and the pods it has made.</summary>
internal sealed class RegistryRollout(string ns, string name)
{
    public string Namespace { get; } = ns;

    public string Name { get; } = name;

    public string Key => $"{Namespace}/{Name}";

    /// <summary>Generation and bundle content of the rollout in progress; a change starts a new rollout.</summary>
    public string? RolloutId { get; set; }

    /// <summary>The phase last reached by the current rollout (-1 before the first reconcile).</summary>
    public int Phase { get; set; } = -1;

    /// <summary>When the current rollout started (a <see cref="TimeProvider.GetTimestamp"/> value).</summary>
    public long StartedAt { get; set; }

    /// <summary>The generation last reconciled; store events about it (our own status writes) need no reconcile.</summary>
    public long SeenGeneration { get; set; } = -1;

    public string? BundleName { get; set; }

    public int MigrationAttempt { get; set; }

    public bool MigrationsFailed { get; set; }

    /// <summary>How the current attempt's migration Job ended; null while it runs or before it starts.</summary>
    public JobOutcome? Migration { get; set; }

    public DateTimeOffset? MigrationFinishedAt { get; set; }

    public long LastRestartTick { get; set; }

    /// <summary>Pods by Deployment suffix (quay-app, ...) and by Job name suffix (quay-app-upgrade, ...).</summary>
    public Dictionary<string, List<SimulatedPod>> Pods { get; } = new(StringComparer.Ordinal);

    /// <summary>The spec and status keys last written per object ("resource/name"); see <see cref="DesiredObject"/>.</summary>
    public Dictionary<string, (string Spec, string Status)> Written { get; } = new(StringComparer.Ordinal);

    /// <summary>The generated secret keys; created once per registry and kept stable.</summary>
    public JsonObject? ManagedKeys { get; set; }

    /// <summary>The bundle Secret last parsed, by uid and resourceVersion.</summary>
    public (string Version, ConfigBundle Bundle)? ParsedBundle { get; set; }

    public ITimer? Timer { get; set; }
}
