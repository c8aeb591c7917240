using QuayGateway.Persistence;

namespace QuayGateway.Registries.Model;

/// <summary>A requested Quay registry and what the gateway knows of its rollout.</summary>
public sealed class Registry
{
    public Guid Id { get; init; } = Uuid7.New();
    public required string Tenant { get; init; }
    public required string Cluster { get; init; }
    public required string Namespace { get; init; }
    public required string Name { get; init; }
    public RegistryState State { get; set; } = RegistryState.Accepted;
    public RegistryHealth Health { get; set; } = RegistryHealth.Unknown;

    /// <summary>The request as accepted, with secret values left out (they live in <see cref="ProtectedSecrets"/>).</summary>
    public required RegistrySpec Spec { get; set; }

    /// <summary>Config-bundle contents and the initial user's password, encrypted with Data Protection.</summary>
    public string? ProtectedSecrets { get; set; }

    /// <summary>The QuayRegistry's <c>metadata.generation</c> as last seen (1 before the first apply).</summary>
    public long Generation { get; set; } = 1;

    /// <summary>The operator's <c>status.observedGeneration</c> (absent on 3.6-era operators).</summary>
    public long? ObservedGeneration { get; set; }

    public string? RegistryEndpoint { get; set; }
    public string? CurrentVersion { get; set; }
    public string? ConfigEditorEndpoint { get; set; }

    /// <summary>The gateway's own conditions (Accepted, Applied, Available, Bootstrapped...).</summary>
    public List<RegistryCondition> Conditions { get; set; } = [];

    /// <summary>Bumped by every change that needs an apply (create, PATCH, retry, drift repair).</summary>
    public int SpecVersion { get; set; } = 1;

    /// <summary>The <see cref="SpecVersion"/> the cluster has; equal to it when nothing is left to apply.</summary>
    public int AppliedSpecVersion { get; set; }

    /// <summary>Whether the gateway created the namespace (then it may delete it, when empty, on deprovision).</summary>
    public bool NamespaceCreated { get; set; }

    /// <summary>The QuayRegistry's status block as the operator last wrote it, verbatim (JSON).</summary>
    public string? OperatorStatus { get; set; }

    /// <summary>
    /// The QuayRegistry's <c>metadata.resourceVersion</c> of the observation stored here, so a late one (a resync's
    /// list landing after a newer watch event) cannot take the status back.
    /// </summary>
    public string? ObservedResourceVersion { get; set; }

    /// <summary>
    /// The QuayRegistry's <c>metadata.uid</c>, recorded from the gateway's apply: watch events and re-lists are matched
    /// on cluster, namespace, name and this uid, and a delete removes only the object with it. Null before the first
    /// apply (and for registries applied before the uid was recorded, until the watch adopts theirs).
    /// </summary>
    public string? QuayRegistryUid { get; set; }

    /// <summary>
    /// The <c>SERVER_HOSTNAME</c> of the config bundle the gateway applied (an inline bundle's config.yaml): besides the
    /// route host, the only host the gateway sends Quay calls to.
    /// </summary>
    public string? AppliedServerHostname { get; set; }

    public System.Text.Json.Nodes.JsonObject? ParseOperatorStatus() =>
        OperatorStatus is null ? null : System.Text.Json.Nodes.JsonNode.Parse(OperatorStatus) as System.Text.Json.Nodes.JsonObject;

    /// <summary>The QuayRegistry object the gateway last applied (JSON).</summary>
    public string? AppliedManifest { get; set; }

    /// <summary>What is unhealthy and why, derived from the operator's status and failing pods.</summary>
    public List<HealthCause> HealthCauses { get; set; } = [];

    public DateTimeOffset? RolloutStartedAt { get; set; }
    public DateTimeOffset? AvailableAt { get; set; }
    public DateTimeOffset? RolloutDeadline { get; set; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>PostgreSQL's xmin: the optimistic-concurrency token behind the ETag.</summary>
    public uint Version { get; set; }

    public string ETag => ETagOf(Version);

    public static string ETagOf(uint version) => $"\"{version}\"";

    /// <summary>Whether the registry is up (its Available condition is True), so its Quay can be called.</summary>
    public bool IsAvailable => Conditions.Exists(c => c is { Type: ConditionTypes.Available, Status: "True" });

    /// <summary>Sets a gateway condition, keeping lastTransitionTime when the status did not change.</summary>
    public void SetCondition(string type, string status, string reason, string message, DateTimeOffset now)
    {
        var existing = Conditions.FindIndex(c => c.Type == type);
        var transition = existing >= 0 && Conditions[existing].Status == status ? Conditions[existing].LastTransitionTime : now;
        var condition = new RegistryCondition(type, status, reason, message, transition);
        if (existing >= 0)
        {
            Conditions[existing] = condition;
        }
        else
        {
            Conditions.Add(condition);
        }
    }
}
