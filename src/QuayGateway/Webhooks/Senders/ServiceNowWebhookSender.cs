using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Senders;

/// <summary>
/// ServiceNow's Table API. The first event of a registry creates a record (<c>POST /api/now/table/{table}</c>) whose
/// <c>result.sys_id</c> the caller keeps; later events update that record (<c>PATCH …/{sys_id}</c>) with the mapped
/// state and a work note. Basic auth or an OAuth bearer token. A ping reads one record to prove URL and credentials.
/// </summary>
public sealed partial class ServiceNowWebhookSender(WebhookHttp http) : IWebhookSender
{
    public string Kind => WebhookKinds.ServiceNow;

    [GeneratedRegex(@"\{([A-Za-z0-9_.]+)\}")]
    private static partial Regex Placeholder();

    public async Task<SendOutcome> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        var settings = message.ServiceNow ?? new ServiceNowSettings();
        var tableUrl = $"{message.Url.AbsoluteUri.TrimEnd('/')}/api/now/table/{Uri.EscapeDataString(settings.EffectiveTable)}";
        if (message.Event.Type == WebhookEventTypes.Ping)
        {
            using var probe = Request(HttpMethod.Get, tableUrl + "?sysparm_limit=1", message, null);
            return (await http.SendAsync(probe, ct)).Outcome;
        }

        var payload = JsonNode.Parse(message.Event.Payload)!;
        var creating = message.ExternalId is null;
        var fields = Fields(creating ? settings.EffectiveCreateFields : settings.EffectiveUpdateFields, settings, payload);
        using var request = creating
            ? Request(HttpMethod.Post, tableUrl, message, fields)
            : Request(HttpMethod.Patch, $"{tableUrl}/{Uri.EscapeDataString(message.ExternalId!)}", message, fields);
        var (outcome, body) = await http.SendAsync(request, ct);
        if (!creating || !outcome.Succeeded)
        {
            return outcome;
        }

        var sysId = TryParse(body)?["result"]?["sys_id"]?.GetValue<string>();
        return sysId is null
            ? outcome with { Error = "ServiceNow created a record but its answer has no result.sys_id." }
            : outcome with { ExternalId = sysId };
    }

    /// <summary>The record fields: the templates rendered over the payload, plus the mapped state.</summary>
    public static JsonObject Fields(IReadOnlyDictionary<string, string> templates, ServiceNowSettings settings, JsonNode payload)
    {
        var fields = new JsonObject();
        foreach (var (field, template) in templates)
        {
            fields[field] = Render(template, payload);
        }

        if ((string?)payload["data"]?["registry"]?["state"] is { } state && settings.EffectiveStates.TryGetValue(state, out var mapped))
        {
            fields[settings.EffectiveStateField] = mapped;
        }

        return fields;
    }

    /// <summary>Replaces <c>{path}</c> with the payload value at that path (looked up at the root, then under <c>data</c>).</summary>
    public static string Render(string template, JsonNode payload) =>
        Placeholder().Replace(template, m => Lookup(payload, m.Groups[1].Value) ?? Lookup(payload["data"], m.Groups[1].Value) ?? "");

    private static string? Lookup(JsonNode? node, string path)
    {
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
        }

        return node switch
        {
            null => null,
            JsonValue v => v.ToString(),
            _ => node.ToJsonString(),
        };
    }

    private static HttpRequestMessage Request(HttpMethod method, string url, OutgoingMessage message, JsonObject? fields)
    {
        var request = new HttpRequestMessage(method, url);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Authorization = message.Auth switch
        {
            { BearerToken: { } token } => new AuthenticationHeaderValue("Bearer", token),
            { Username: { } user, Password: var password } =>
                new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"))),
            _ => null,
        };
        if (fields is not null)
        {
            request.Content = new StringContent(fields.ToJsonString(), Encoding.UTF8, "application/json");
        }

        return request;
    }

    private static JsonNode? TryParse(string body)
    {
        try
        {
            return JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
