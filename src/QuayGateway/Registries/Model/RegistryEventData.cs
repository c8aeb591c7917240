using System.Text.Json.Serialization;

namespace QuayGateway.Registries.Model;

/// <summary>The <c>data</c> of a registry's webhook event: the registry as announced, its ticket, and plain details.</summary>
public sealed record RegistryEventData(
    RegistrySnapshot? Registry,
    TicketReference? Ticket,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Details = null);

/// <summary>The registry as an event announces it: public fields only, so no token, password or bundle content.</summary>
public sealed record RegistrySnapshot(
    Guid Id,
    string Name,
    string Namespace,
    string Cluster,
    RegistryState State,
    RegistryHealth Health,
    string? RegistryEndpoint,
    IReadOnlyList<RegistryCondition> Conditions)
{
    public static RegistrySnapshot From(Registry r) =>
        new(r.Id, r.Name, r.Namespace, r.Cluster, r.State, r.Health, r.RegistryEndpoint, [.. r.Conditions]);
}
