using QuayGateway.Registries.Model;

namespace QuayGateway.Registries.Api;

/// <summary>A registry as the API returns it.</summary>
public sealed record RegistryResponse(
    Guid Id,
    string Name,
    string Namespace,
    string Cluster,
    RegistryState State,
    RegistryHealth Health,
    string? RegistryEndpoint,
    string? CurrentVersion,
    long Generation,
    long? ObservedGeneration,
    IReadOnlyList<RegistryCondition> Conditions,
    RegistrySpec Spec,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static RegistryResponse From(Registry r) => new(
        r.Id, r.Name, r.Namespace, r.Cluster, r.State, r.Health, r.RegistryEndpoint, r.CurrentVersion, r.Generation,
        r.ObservedGeneration, r.Conditions, r.Spec, r.CreatedAt, r.UpdatedAt);
}

/// <summary>A page of registries; pass <c>nextCursor</c> as <c>cursor</c> for the next one.</summary>
public sealed record RegistryPage(IReadOnlyList<RegistryResponse> Items, string? NextCursor);
