using System.Linq.Expressions;
using System.Reflection;
using QuayGateway.Registries.Model;

namespace QuayGateway.Registries.Api;

/// <summary>
/// A registry as the API returns it. Each field is the <see cref="Registry"/> property of the same name: the mapping
/// from a registry (<see cref="From"/>) and <see cref="RegistryReader"/>'s SELECT follow from this constructor, so a
/// field added here is answered everywhere.
/// </summary>
/// <param name="Id">The registry's id, assigned by the gateway (a UUID v7); the path segment of <c>/v1/registries/{id}</c>.</param>
/// <param name="Name">The QuayRegistry's name (a DNS-1123 label), unique per cluster and namespace.</param>
/// <param name="Namespace">The Kubernetes namespace the QuayRegistry lives in.</param>
/// <param name="Cluster">The configured target cluster (see <c>GET /v1/clusters</c>) the registry is provisioned on.</param>
/// <param name="State">Where the registry is in its lifecycle. Ready means Available with the bootstrap done (or none asked).</param>
/// <param name="Health">The registry's health, from the operator's conditions and the component workloads.</param>
/// <param name="RegistryEndpoint">The registry's URL as the operator reports it (<c>status.registryEndpoint</c>); null until the rollout sets it.</param>
/// <param name="CurrentVersion">The Quay version the operator reports (<c>status.currentVersion</c>); null until reported.</param>
/// <param name="Generation">The QuayRegistry's <c>metadata.generation</c> the gateway applied last; each change adds one.</param>
/// <param name="ObservedGeneration">The generation the operator last acted on (<c>status.observedGeneration</c>); null on operators that do not report it.</param>
/// <param name="Conditions">The gateway's own conditions about the registry (Applied, Available, Bootstrapped, ...), newest transition last.</param>
/// <param name="Spec">The request as accepted, with secrets redacted.</param>
/// <param name="CreatedAt">When the registry was requested (ISO 8601, UTC).</param>
/// <param name="UpdatedAt">When the registry last changed (ISO 8601, UTC).</param>
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
    internal static readonly ConstructorInfo Constructor = typeof(RegistryResponse).GetConstructors().Single(c => c.GetParameters().Length > 1);

    internal static readonly ParameterInfo[] Fields = Constructor.GetParameters();

    private static readonly Func<Registry, RegistryResponse> FromRegistry = CompileFrom();

    public static RegistryResponse From(Registry registry) => FromRegistry(registry);

    // r => new RegistryResponse(r.Id, r.Name, …), each field from the property of its name.
    private static Func<Registry, RegistryResponse> CompileFrom()
    {
        var registry = Expression.Parameter(typeof(Registry), "r");
        var arguments = Fields.Select(field =>
        {
            Expression value = Expression.Property(registry, field.Name!);
            return value.Type == field.ParameterType ? value : Expression.Convert(value, field.ParameterType);
        });
        return Expression.Lambda<Func<Registry, RegistryResponse>>(Expression.New(Constructor, arguments), registry).Compile();
    }
}

/// <summary>A page of registries; pass <c>nextCursor</c> as <c>cursor</c> for the next one.</summary>
/// <param name="Items">The registries of this page, in list order.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> to read the next page; null on the last page.</param>
public sealed record RegistryPage(IReadOnlyList<RegistryResponse> Items, string? NextCursor);
