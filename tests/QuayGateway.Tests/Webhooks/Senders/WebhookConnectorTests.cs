using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Webhooks.Senders;

/// <summary>
/// The Jira and ServiceNow connectors against local fakes that refuse what the real services refuse: Jira Automation
/// a missing or wrong webhook token; ServiceNow's Table API missing or wrong credentials, non-JSON bodies, and updates
/// of records that do not exist.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class WebhookConnectorTests(GatewayFixture gateway)
{
    private const string JiraToken = "jira-automation-token-9c2e";
    private const string SnUser = "quay.integration";
    private const string SnPassword = "sn-Pa55word!";

    [Fact]
    public async Task Jira_gets_the_automation_token_and_a_body_a_rule_can_read_with_the_ticket_key()
    {
        await using var jira = await WebhookReceiver.StartAsync((r, _) =>
            r.Header(Senders.JiraHeader) != JiraToken ? new ReceiverAnswer(401, "{\"message\":\"Invalid token\"}")
            : JsonNode.Parse(r.Body) is not JsonObject ? new ReceiverAnswer(400)
            : ReceiverAnswer.Ok);
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(jira.Url + "/automation/webhooks/jira/a/1/abc", [WebhookEventTypes.RegistryAccepted, WebhookEventTypes.RegistryAvailable],
            WebhookKinds.Jira, new WebhookAuth(Token: JiraToken));

        var registryId = await kit.AddRegistryAsync(new TicketReference("jira", "OPS-123"));
        await kit.MoveAsync(registryId, RegistryState.Available, RegistryHealth.Healthy);

        var requests = await jira.WaitForAsync(2);
        var page = await kit.DeliveriesWhenAsync(webhook.Id, p => p.Items.Count == 2 && p.Items.All(d => d.Status == DeliveryStatus.Succeeded));
        Assert.All(page.Items, d => Assert.Equal(DeliveryStatus.Succeeded, d.Status));
        Assert.All(requests, r => Assert.Equal("/automation/webhooks/jira/a/1/abc", r.Path));
        var body = JsonNode.Parse(requests[1].Body)!;
        Assert.Equal(["OPS-123"], body["issues"]!.AsArray().Select(i => (string?)i));
        Assert.Equal("OPS-123", (string?)body["data"]!["ticket"]!["key"]);
        Assert.Equal(WebhookEventTypes.RegistryAvailable, (string?)body["type"]);
        Assert.Equal("Available", (string?)body["data"]!["registry"]!["state"]);
        Assert.Contains("Available", (string?)body["summary"], StringComparison.Ordinal);
        Assert.True(StandardWebhooksVerifier.Verify(webhook.Secret, requests[1]));
        Assert.DoesNotContain(JiraToken, await kit.Client.GetStringAsync($"/v1/webhooks/{webhook.Id}/deliveries"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Jira_with_a_wrong_token_fails_and_the_log_says_why()
    {
        await using var jira = await WebhookReceiver.StartAsync((r, _) =>
            r.Header(Senders.JiraHeader) != JiraToken ? new ReceiverAnswer(401, "{\"message\":\"Invalid token\"}") : ReceiverAnswer.Ok);
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(jira.Url, [WebhookEventTypes.RegistryAccepted], WebhookKinds.Jira, new WebhookAuth(Token: "wrong"));

        await kit.AddRegistryAsync(new TicketReference("jira", "OPS-9"));

        var delivery = (await kit.DeliveriesWhenAsync(webhook.Id, p => p.Items.Any(d => d.AttemptCount > 0))).Items.Single();
        Assert.Equal(401, delivery.Attempts[0].StatusCode);
        Assert.Contains("Invalid token", delivery.Attempts[0].Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServiceNow_creates_one_record_then_updates_the_same_sys_id_with_state_and_work_notes()
    {
        await using var serviceNow = await FakeServiceNow.StartAsync("u_quay_registry", $"Basic {Basic(SnUser, SnPassword)}");
        var kit = await WebhookTestKit.StartAsync(gateway);
        var settings = new ServiceNowSettings(
            Table: "u_quay_registry",
            CreateFields: new Dictionary<string, string>
            {
                ["short_description"] = "Quay {registry.namespace}/{registry.name}",
                ["u_ticket"] = "{ticket.key}",
                ["work_notes"] = "{type}",
            },
            UpdateFields: new Dictionary<string, string> { ["work_notes"] = "{type}: {registry.state}/{registry.health}" },
            StateField: "u_state",
            States: new Dictionary<string, string> { ["Accepted"] = "new", ["Progressing"] = "in_progress", ["Ready"] = "done" });
        var webhook = await kit.SubscribeAsync(serviceNow.Receiver.Url, [WebhookEventTypes.RegistryAccepted, WebhookEventTypes.RegistryProgressing, WebhookEventTypes.RegistryReady],
            WebhookKinds.ServiceNow, new WebhookAuth(Username: SnUser, Password: SnPassword), settings);

        var registryId = await kit.AddRegistryAsync(new TicketReference("servicenow", "RITM0010001"));
        await kit.MoveAsync(registryId, RegistryState.Progressing, RegistryHealth.Progressing);
        await kit.MoveAsync(registryId, RegistryState.Ready, RegistryHealth.Healthy);

        var requests = await serviceNow.Receiver.WaitForAsync(3);
        await kit.DeliveriesWhenAsync(webhook.Id, p => p.Items.Count == 3 && p.Items.All(d => d.Status == DeliveryStatus.Succeeded));
        Assert.Equal(["POST", "PATCH", "PATCH"], requests.Select(r => r.Method));
        Assert.Equal("/api/now/table/u_quay_registry", requests[0].Path);
        var sysId = Assert.Single(serviceNow.Records.Keys);
        Assert.All(requests.Skip(1), r => Assert.Equal($"/api/now/table/u_quay_registry/{sysId}", r.Path));

        var created = JsonNode.Parse(requests[0].Body)!;
        Assert.StartsWith("Quay quay-", (string?)created["short_description"], StringComparison.Ordinal);
        Assert.Equal("RITM0010001", (string?)created["u_ticket"]);
        Assert.Equal("new", (string?)created["u_state"]);
        var last = JsonNode.Parse(requests[2].Body)!;
        Assert.Equal("done", (string?)last["u_state"]);
        Assert.Equal("registry.ready: Ready/Healthy", (string?)last["work_notes"]);
        Assert.Equal("in_progress", (string?)JsonNode.Parse(requests[1].Body)!["u_state"]);
        Assert.Equal("done", serviceNow.Records[sysId]["u_state"]);
    }

    [Fact]
    public async Task ServiceNow_accepts_an_oauth_bearer_token_and_ping_reads_instead_of_writing()
    {
        await using var serviceNow = await FakeServiceNow.StartAsync(ServiceNowSettings.DefaultTable, "Bearer sn-oauth-token");
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(serviceNow.Receiver.Url, [WebhookEventTypes.RegistryAccepted], WebhookKinds.ServiceNow,
            new WebhookAuth(BearerToken: "sn-oauth-token"));

        using var ping = await kit.Client.PostAsync($"/v1/webhooks/{webhook.Id}/ping", null);
        var probe = (await serviceNow.Receiver.WaitForAsync(1))[0];
        Assert.Equal("GET", probe.Method);
        Assert.Equal("/api/now/table/incident?sysparm_limit=1", probe.Path);

        await kit.AddRegistryAsync();
        var requests = await serviceNow.Receiver.WaitForAsync(2);
        Assert.Equal("POST", requests[1].Method);
        var created = JsonNode.Parse(requests[1].Body)!;
        Assert.Equal("1", (string?)created["state"]);
        Assert.Contains("registry.accepted", (string?)created["work_notes"], StringComparison.Ordinal);
        Assert.Single(serviceNow.Records);
    }

    private static string Basic(string user, string password) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}"));

    private static class Senders
    {
        public const string JiraHeader = "X-Automation-Webhook-Token";
    }

    /// <summary>The Table API as far as the connector uses it, with the checks the real one makes.</summary>
    private sealed class FakeServiceNow : IAsyncDisposable
    {
        private readonly string _table;
        private readonly string _authorization;

        private FakeServiceNow(string table, string authorization) => (_table, _authorization) = (table, authorization);

        public WebhookReceiver Receiver { get; private set; } = null!;

        public System.Collections.Concurrent.ConcurrentDictionary<string, Dictionary<string, string?>> Records { get; } = new();

        public static async Task<FakeServiceNow> StartAsync(string table, string authorization)
        {
            var fake = new FakeServiceNow(table, authorization);
            fake.Receiver = await WebhookReceiver.StartAsync((r, _) => fake.Answer(r));
            return fake;
        }

        private ReceiverAnswer Answer(ReceivedRequest request)
        {
            if (request.Header("authorization") != _authorization)
            {
                return new ReceiverAnswer(401, "{\"error\":{\"message\":\"User Not Authenticated\",\"detail\":\"Required to provide Auth information\"},\"status\":\"failure\"}");
            }

            if (request.Header("accept")?.Contains("application/json", StringComparison.Ordinal) != true)
            {
                return new ReceiverAnswer(406);
            }

            var tablePath = $"/api/now/table/{_table}";
            if (request.Method == "GET" && request.Path.StartsWith(tablePath, StringComparison.Ordinal))
            {
                return new ReceiverAnswer(200, "{\"result\":[]}");
            }

            if (request.Header("content-type")?.StartsWith("application/json", StringComparison.Ordinal) != true
                || JsonNode.Parse(request.Body) is not JsonObject fields)
            {
                return new ReceiverAnswer(400, "{\"error\":{\"message\":\"Invalid JSON\"},\"status\":\"failure\"}");
            }

            var values = fields.ToDictionary(f => f.Key, f => (string?)f.Value);
            if (request.Method == "POST" && request.Path == tablePath)
            {
                var sysId = Guid.NewGuid().ToString("N");
                Records[sysId] = values;
                return new ReceiverAnswer(201, new JsonObject { ["result"] = new JsonObject { ["sys_id"] = sysId, ["number"] = "INC0010001" } }.ToJsonString());
            }

            if (request.Method == "PATCH" && request.Path.StartsWith(tablePath + "/", StringComparison.Ordinal)
                && Records.TryGetValue(request.Path[(tablePath.Length + 1)..], out var record))
            {
                foreach (var (key, value) in values)
                {
                    record[key] = value;
                }

                return new ReceiverAnswer(200, "{\"result\":{}}");
            }

            return new ReceiverAnswer(404, "{\"error\":{\"message\":\"No Record found\"},\"status\":\"failure\"}");
        }

        public ValueTask DisposeAsync() => Receiver.DisposeAsync();
    }
}
