namespace QuayGateway.Registries.Model;

/// <summary>
/// The registry lifecycle's named groups of states, in one place. The arrays serve database queries (they translate to
/// <c>state IN (…)</c>); the predicates serve code.
/// </summary>
public static class RegistryLifecycle
{
    /// <summary>States in which the cluster should hold the registry's QuayRegistry, so the watch and resync follow it.</summary>
    public static readonly RegistryState[] ExpectingQuayRegistry =
        [RegistryState.Progressing, RegistryState.Available, RegistryState.Bootstrapping, RegistryState.Ready, RegistryState.Blocked, RegistryState.Degraded];

    /// <summary>States of a change under way, each bound by the registry's deadline (<see cref="Registry.RolloutDeadline"/>).</summary>
    public static readonly RegistryState[] BoundByDeadline =
        [RegistryState.Accepted, RegistryState.Applying, RegistryState.Progressing, RegistryState.Blocked, RegistryState.Deleting];

    /// <summary>States a fleet view lists as needing attention (the partial index ix_registries_tenant_name_needs_attention names them too).</summary>
    public static readonly RegistryState[] Troubled = [RegistryState.Blocked, RegistryState.Degraded, RegistryState.Failed];

    /// <summary>A change the gateway started is still being applied or removed: another must wait.</summary>
    public static bool IsChanging(RegistryState state) => state is RegistryState.Accepted or RegistryState.Applying or RegistryState.Deleting;

    /// <summary>The gateway's own steps (and the end): what the operator reports does not move the state.</summary>
    public static bool IsOwnedByGateway(RegistryState state) =>
        state is RegistryState.Accepted or RegistryState.Applying or RegistryState.Deleting or RegistryState.Deleted;

    /// <summary>The rollout is under way, so its deadline still applies.</summary>
    public static bool IsRollingOut(RegistryState state) => state is RegistryState.Applying or RegistryState.Progressing or RegistryState.Blocked;

    /// <summary>The registry has been Available in this rollout: losing availability now makes it Degraded.</summary>
    public static bool HasBeenAvailable(RegistryState state) =>
        state is RegistryState.Available or RegistryState.Bootstrapping or RegistryState.Ready or RegistryState.Degraded;

    /// <summary>A Failed registry that failed in its bootstrap: it is up, and a retry re-runs the bootstrap, not the apply.</summary>
    public static bool FailedInBootstrap(Registry registry) =>
        registry.State == RegistryState.Failed && registry.IsAvailable
        && registry.Conditions.Exists(c => c is { Type: ConditionTypes.Bootstrapped, Status: "False" });

    /// <summary>Quay's first user and organizations exist.</summary>
    public static bool IsBootstrapped(Registry registry) =>
        registry.Conditions.Exists(c => c is { Type: ConditionTypes.Bootstrapped, Status: "True" });
}
