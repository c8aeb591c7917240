namespace QuayGateway.Registries.Model;

/// <summary>One reason the registry is not healthy: a component (or the rollout) and the operator's words.</summary>
/// <summary>
/// A registry's pods, jobs and HPAs as the cluster watch last saw them. A row of its own: they change often during a
/// rollout, and the registry's row (and so its ETag) should change only when the registry does.
/// </summary>
public sealed class ObservedWorkloads
{
    public Guid RegistryId { get; init; }
    public required Clusters.RegistryWorkloads Workloads { get; set; }
    public DateTimeOffset ObservedAt { get; set; }
}
