using System.Text.Json.Nodes;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Senders;

/// <summary>
/// A Jira Automation "incoming webhook" trigger. Jira checks the <c>X-Automation-Webhook-Token</c> header. The body is
/// the event payload plus what a rule reads directly: <c>issues</c> (the request's Jira ticket key, for "issues provided
/// in the webhook body") and a one-line <c>summary</c>. Rules reach the rest as <c>{{webhookData.data.registry.state}}</c>.
/// </summary>
public sealed class JiraWebhookSender(WebhookHttp http) : IWebhookSender
{
    public const string TokenHeader = "X-Automation-Webhook-Token";

    public string Kind => WebhookKinds.Jira;

    public async Task<SendOutcome> SendAsync(OutgoingMessage message, CancellationToken ct)
    {
        using var request = WebhookHttp.SignedPost(message, Body(message.Event.Payload));
        request.Headers.TryAddWithoutValidation(TokenHeader, message.Auth?.Token);
        return (await http.SendAsync(request, ct)).Outcome;
    }

    public static string Body(string payload)
    {
        var body = JsonNode.Parse(payload)!.AsObject();
        var ticket = body["data"]?["ticket"];
        var system = (string?)ticket?["system"];
        body["issues"] = ticket?["key"] is JsonValue key && (system is null || system.Equals("jira", StringComparison.OrdinalIgnoreCase))
            ? new JsonArray((string?)key)
            : new JsonArray();
        var registry = body["data"]?["registry"];
        body["summary"] = registry is null
            ? $"{body["type"]}"
            : $"Quay registry {registry["namespace"]}/{registry["name"]} on {registry["cluster"]}: {body["type"]} (state {registry["state"]}, health {registry["health"]})";
        return body.ToJsonString();
    }
}
