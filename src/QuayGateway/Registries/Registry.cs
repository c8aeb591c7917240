namespace QuayGateway.Registries;

/// <summary>A requested Quay registry and what the gateway knows of its rollout.</summary>
public sealed class Registry
{
    public Guid Id { get; init; } = Guid.CreateVersion7();
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

    public long Generation { get; set; } = 1;
    public long? ObservedGeneration { get; set; }
    public string? RegistryEndpoint { get; set; }
    public string? CurrentVersion { get; set; }
    public List<RegistryCondition> Conditions { get; set; } = [];
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>PostgreSQL's xmin: the optimistic-concurrency token behind the ETag.</summary>
    public uint Version { get; set; }

    public string ETag => $"\"{Version}\"";

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

public enum RegistryState
{
    Accepted,
    Applying,
    Progressing,
    Available,
    Bootstrapping,
    Ready,
    Blocked,
    Degraded,
    Failed,
    Deleting,
    Deleted,
}

public enum RegistryHealth
{
    Healthy,
    Progressing,
    Degraded,
    Unknown,
    Missing,
}

public sealed record RegistryCondition(
    string Type, string Status, string Reason, string Message, DateTimeOffset LastTransitionTime);
