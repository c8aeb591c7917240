using System.Text.Json;
using System.Text.Json.Serialization;
using QuayGateway.Persistence;

namespace QuayGateway.Webhooks.Model;

/// <summary>
/// The body every receiver gets: <c>{id, type, timestamp, data}</c>. What <c>data</c> holds is the announcing
/// feature's (a registry event carries <c>{registry, ticket}</c>), built from public fields only.
/// </summary>
public sealed record WebhookPayload<TData>(string Id, string Type, DateTimeOffset Timestamp, TData Data)
{
    public string ToJson() => JsonSerializer.Serialize(this, WebhookPayload.Json);
}

public static class WebhookPayload
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public static string NewEventId() => "evt_" + Uuid7.New().ToString("N");

    // Typed by the announcing feature's data, so serializing it needs no look-up of the runtime type.
    public static WebhookPayload<TData> Of<TData>(string id, string type, DateTimeOffset timestamp, TData data) => new(id, type, timestamp, data);
}
