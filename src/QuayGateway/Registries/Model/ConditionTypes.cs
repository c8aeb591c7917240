namespace QuayGateway.Registries.Model;

/// <summary>
/// The condition types the gateway sets on a registry (<see cref="Registry.Conditions"/>), and those of the Quay
/// Operator's status it reads. One place, so a typo is a compile error rather than a condition nobody sets.
/// </summary>
public static class ConditionTypes
{
    /// <summary>The request is stored and queued.</summary>
    public const string Accepted = "Accepted";

    /// <summary>The namespace, config bundle and QuayRegistry are in the cluster.</summary>
    public const string Applied = "Applied";

    /// <summary>The gateway's verdict on the operator's rollout; also the operator's own condition of that name.</summary>
    public const string Available = "Available";

    /// <summary>Quay's first user and organizations exist.</summary>
    public const string Bootstrapped = "Bootstrapped";

    /// <summary>The operator's: the rollout cannot proceed (reason and message say why).</summary>
    public const string RolloutBlocked = "RolloutBlocked";

    /// <summary>The operator's: the component objects exist (or why not, e.g. failed migrations).</summary>
    public const string ComponentsCreated = "ComponentsCreated";

    /// <summary>The operator's per-component conditions are <c>Component&lt;Kind&gt;Ready</c>.</summary>
    public const string ComponentPrefix = "Component";

    public const string ComponentSuffix = "Ready";

    public static bool IsComponentReady(string type) =>
        type.StartsWith(ComponentPrefix, StringComparison.Ordinal) && type.EndsWith(ComponentSuffix, StringComparison.Ordinal);
}
