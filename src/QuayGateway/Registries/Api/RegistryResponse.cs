using System.Linq.Expressions;
using System.Reflection;
using QuayGateway.Registries.Model;

namespace QuayGateway.Registries.Api;

/// <summary>
/// A registry as the API returns it. Each field is the <see cref="Registry"/> property of the same name: the mapping
/// from a registry (<see cref="From"/>) and <see cref="RegistryReader"/>'s SELECT follow from this constructor, so a
/// field added here is answered everywhere.
/// </summary>
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
public sealed record RegistryPage(IReadOnlyList<RegistryResponse> Items, string? NextCursor);
