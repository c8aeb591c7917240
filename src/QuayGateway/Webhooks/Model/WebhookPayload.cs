using System.Text.Json;
using System.Text.Json.Serialization;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Webhooks.Model;

/// <summary>
/// The body every receiver gets: <c>{id, type, timestamp, data:{registry, ticket}}</c>. Built from the registry's
/// public fields only, so no token, password or config-bundle content can end up in it.
/// </summary>
public sealed record WebhookPayload(string Id, string Type, DateTimeOffset Timestamp, WebhookPayloadData Data)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static WebhookPayload For(Registry registry, string id, string type, DateTimeOffset timestamp, IReadOnlyDictionary<string, string>? details) =>
        new(id, type, timestamp, new WebhookPayloadData(WebhookRegistry.From(registry), registry.Spec.Ticket, details));

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static string NewEventId() => "evt_" + Uuid7.New().ToString("N");
}

public sealed record WebhookPayloadData(
    WebhookRegistry? Registry,
    TicketReference? Ticket,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, string>? Details = null);

/// <summary>The registry as an event announces it.</summary>
public sealed record WebhookRegistry(
    Guid Id,
    string Name,
    string Namespace,
    string Cluster,
    RegistryState State,
    RegistryHealth Health,
    string? RegistryEndpoint,
    IReadOnlyList<RegistryCondition> Conditions)
{
    public static WebhookRegistry From(Registry r) =>
        new(r.Id, r.Name, r.Namespace, r.Cluster, r.State, r.Health, r.RegistryEndpoint, [.. r.Conditions]);
}
