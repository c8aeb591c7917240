using System.Text.Json;
using System.Text.Json.Serialization;
using QuayGateway.Persistence;

namespace QuayGateway.Webhooks.Model;

/// <summary>
/// The body every receiver gets: <c>{id, type, timestamp, data}</c>. What <c>data</c> holds is the announcing
/// feature's (a registry event carries <c>{registry, ticket}</c>), built from public fields only.
/// </summary>
public sealed record WebhookPayload(string Id, string Type, DateTimeOffset Timestamp, object Data)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static string NewEventId() => "evt_" + Uuid7.New().ToString("N");
}
