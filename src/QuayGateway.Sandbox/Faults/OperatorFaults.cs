namespace QuayGateway.Sandbox.Faults;

/// <summary>
/// A crash-looping component: its pods go CrashLoopBackOff with climbing restarts until the fault is cleared.
/// <paramref name="Component"/> is a component kind (quay, clair, mirror, postgres, redis, clairpostgres) or a
/// Deployment suffix (quay-app, quay-database, ...). Null namespace or registry match every registry.
/// </summary>
public sealed record CrashLoopFault(string Component, string? Namespace = null, string? Registry = null);

/// <summary>The migration Job fails (<c>ComponentsCreated=False/MigrationsFailed</c>) until the fault is cleared.</summary>
public sealed record FailedMigrationsFault(string? Namespace = null, string? Registry = null);

/// <summary>Faults of the simulated operator's workloads. The operator re-evaluates every registry on each change.</summary>
public sealed class OperatorFaults
{
    private readonly Lock _gate = new();
    private volatile List<CrashLoopFault> _crashLoops = [];
    private volatile List<FailedMigrationsFault> _failedMigrations = [];

    /// <summary>Raised after any change, outside the lock.</summary>
    public event Action? Changed;

    public IReadOnlyList<CrashLoopFault> CrashLoops => _crashLoops;

    public IReadOnlyList<FailedMigrationsFault> FailedMigrations => _failedMigrations;

    public void AddCrashLoop(CrashLoopFault fault)
    {
        lock (_gate)
        {
            _crashLoops = [.. _crashLoops, fault];
        }

        Changed?.Invoke();
    }

    public void AddFailedMigrations(FailedMigrationsFault fault)
    {
        lock (_gate)
        {
            _failedMigrations = [.. _failedMigrations, fault];
        }

        Changed?.Invoke();
    }

    public void Clear()
    {
        lock (_gate)
        {
            _crashLoops = [];
            _failedMigrations = [];
        }

        Changed?.Invoke();
    }

    internal bool IsCrashLooping(string ns, string registry, string kind, string deploymentSuffix) =>
        _crashLoops.Any(f => (f.Component == kind || f.Component == deploymentSuffix) && Matches(f.Namespace, f.Registry, ns, registry));

    internal bool MigrationsFail(string ns, string registry) =>
        _failedMigrations.Any(f => Matches(f.Namespace, f.Registry, ns, registry));

    private static bool Matches(string? faultNs, string? faultRegistry, string ns, string registry) =>
        (faultNs is null || faultNs == ns) && (faultRegistry is null || faultRegistry == registry);
}
