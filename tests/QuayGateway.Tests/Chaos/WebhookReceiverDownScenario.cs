using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Tests.Webhooks;
using QuayGateway.Webhooks.Api;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Chaos;

/// <summary>
/// A webhook receiver that answers 503 for ten retry windows (shortened to a second each) while registries roll out:
/// afterwards every event is delivered, once, with the <c>webhook-id</c> its failed attempts carried, and each
/// registry's events arrive in the order they happened.
/// </summary>
public static class WebhookReceiverDownScenario
{
    public const string Name = "webhook-receiver-down";
    private const int DownWindows = 10;

    public static async Task<ChaosResult> RunAsync(bool isShort)
    {
        var registries = isShort ? 3 : 10;
        var result = new ChaosResult(Name).Figure("registries", registries).Figure("down_retry_windows", DownWindows);
        await using var env = await ChaosEnvironment.StartAsync(TimeSpan.FromMilliseconds(300));
        // More retries than windows down, so nothing is given up on while the receiver is away.
        var gateway = await env.StartReplicaAsync($"--Gateway:Webhooks:RetrySchedule={string.Join(',', Enumerable.Repeat("1s", DownWindows + 5))}");
        using var admin = ChaosEnvironment.Client(gateway);
        var tenant = "chaos-webhooks";
        using var keyResponse = await admin.PostAsJsonAsync("/v1/api-keys",
            new CreateApiKeyRequest("chaos", [Scopes.WebhooksAdmin, Scopes.RegistriesRead, Scopes.RegistriesWrite], tenant));
        keyResponse.EnsureSuccessStatusCode();
        using var client = ChaosEnvironment.Client(gateway, (await keyResponse.ReadAsync<CreatedApiKeyResponse>()).Key);

        var down = true;
        var receipts = new ConcurrentQueue<(string EventId, string? WebhookId, bool Ok)>();
        await using var receiver = await WebhookReceiver.StartAsync((request, _) =>
        {
            var ok = !Volatile.Read(ref down);
            receipts.Enqueue(((string)JsonNode.Parse(request.Body)!["id"]!, request.Header("webhook-id"), ok));
            return ok ? ReceiverAnswer.Ok : new ReceiverAnswer(503);
        });
        using (var subscribed = await client.PostJsonAsync("/v1/webhooks", new CreateWebhookRequest(receiver.Url + "/hook", WebhookEventTypes.All)))
        {
            subscribed.EnsureSuccessStatusCode();
        }

        var ids = new List<Guid>();
        for (var i = 0; i < registries; i++)
        {
            var (id, response) = await ChaosEnvironment.CreateAsync(client, $"wh-{i}");
            response.Dispose();
            ids.Add(id ?? throw new InvalidOperationException($"create answered {(int)response.StatusCode}"));
        }

        // Down until a delivery has been refused once per window.
        var clock = Stopwatch.StartNew();
        var refused = await Poll.UntilAsync(() => Task.FromResult(receipts.GroupBy(r => r.WebhookId).Select(g => g.Count()).DefaultIfEmpty().Max()),
            n => n >= DownWindows, TimeSpan.FromSeconds(120), TimeSpan.FromMilliseconds(200));
        Volatile.Write(ref down, false);
        result.Seconds("down_s", clock.Elapsed).Figure("max_refused_attempts", refused)
            .Check(refused >= DownWindows, $"the receiver saw only {refused} attempts of one delivery while down");

        var states = await ChaosEnvironment.WaitForStatesAsync(client, ids, TimeSpan.FromSeconds(90), RegistryState.Ready);
        result.Check(states.Values.All(s => s == RegistryState.Ready), "not every registry reached Ready");
        var up = Stopwatch.StartNew();
        var log = await Poll.UntilAsync(() => env.QueryAsync(
                """
                SELECT e.event_id, e.registry_id, d.message_id, d.status FROM webhook_events e
                LEFT JOIN webhook_deliveries d ON d.event_id = e.id WHERE e.tenant = @tenant ORDER BY e.id
                """, r => (EventId: r.GetString(0), Registry: r.IsDBNull(1) ? (Guid?)null : r.GetGuid(1),
                    MessageId: r.IsDBNull(2) ? null : r.GetString(2), Status: r.IsDBNull(3) ? null : r.GetString(3)), ("tenant", tenant)),
            rows => rows.Count > 0 && rows.All(r => r.Status == nameof(DeliveryStatus.Succeeded)), TimeSpan.FromSeconds(90), TimeSpan.FromMilliseconds(250));
        result.Seconds("all_delivered_after_up_s", up.Elapsed);

        var received = receipts.ToList();
        var okFirst = received.Where(r => r.Ok).GroupBy(r => r.EventId).ToDictionary(g => g.Key, g => g.Count());
        var undelivered = log.Count(e => !okFirst.ContainsKey(e.EventId) || e.Status != nameof(DeliveryStatus.Succeeded));
        var twice = okFirst.Values.Count(n => n > 1);
        var changedId = log.Count(e => received.Any(r => r.EventId == e.EventId && r.WebhookId != e.MessageId));
        var outOfOrder = 0;
        foreach (var perRegistry in log.Where(e => e.Registry is not null).GroupBy(e => e.Registry))
        {
            var happened = perRegistry.Select(e => e.EventId).ToList();
            var arrived = received.Where(r => r.Ok && happened.Contains(r.EventId)).Select(r => r.EventId).Distinct().ToList();
            outOfOrder += arrived.SequenceEqual(happened) ? 0 : 1;
        }

        result.Figure("events", log.Count).Figure("requests", received.Count).Figure("undelivered", undelivered)
            .Figure("delivered_twice", twice).Figure("webhook_id_changed", changedId).Figure("registries_out_of_order", outOfOrder)
            .Check(log.Count >= registries * 3, $"only {log.Count} events for {registries} rollouts")
            .Check(undelivered == 0, $"{undelivered} events not delivered")
            .Check(twice == 0, $"{twice} events delivered more than once")
            .Check(changedId == 0, $"{changedId} events changed webhook-id between attempts")
            .Check(outOfOrder == 0, $"{outOfOrder} registries' events arrived out of order");
        result.Detail = env.ReplicaOutput();
        return result;
    }
}
