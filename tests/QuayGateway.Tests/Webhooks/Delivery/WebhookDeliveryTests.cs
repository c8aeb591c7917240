using System.Net;
using System.Text.Json.Nodes;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Persistence;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Api;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Webhooks.Delivery;

/// <summary>Outbox to receiver: signing, retries with one webhook-id, order per registry, 410, Retry-After, restarts, redelivery.</summary>
[Collection(GatewayCollection.Name)]
public sealed class WebhookDeliveryTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_registry_request_through_the_api_reaches_the_receiver_signed_with_the_contract_payload()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(receiver.Url + "/hooks", [WebhookEventTypes.RegistryAccepted]);

        using var created = await kit.Client.PostJsonAsync("/v1/registries", new CreateRegistryRequest(
            // A namespace of its own: one that holds another tenant's registry is closed to this tenant.
            "reg-" + Guid.NewGuid().ToString("N")[..8], kit.Tenant, Ticket: new TicketReference("jira", "OPS-123")));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var registryId = (await created.ReadAsync<RegistryResponse>()).Id;

        var request = Assert.Single(await receiver.WaitForAsync(1));
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hooks", request.Path);
        Assert.StartsWith("application/json", request.Header("content-type"), StringComparison.Ordinal);
        Assert.True(StandardWebhooksVerifier.Verify(webhook.Secret, request), "the signature does not verify with the webhook's secret");
        var payload = JsonNode.Parse(request.Body)!;
        Assert.Equal(["id", "type", "timestamp", "data"], payload.AsObject().Select(p => p.Key));
        Assert.StartsWith("evt_", (string?)payload["id"], StringComparison.Ordinal);
        Assert.Equal(WebhookEventTypes.RegistryAccepted, (string?)payload["type"]);
        var registry = payload["data"]!["registry"]!;
        Assert.Equal(registryId.ToString(), (string?)registry["id"]);
        Assert.Equal("Accepted", (string?)registry["state"]);
        Assert.Equal("sandbox", (string?)registry["cluster"]);
        Assert.Equal(["id", "name", "namespace", "cluster", "state", "health", "registryEndpoint", "conditions"], registry.AsObject().Select(p => p.Key));
        Assert.Equal("OPS-123", (string?)payload["data"]!["ticket"]!["key"]);
    }

    [Fact]
    public async Task A_receiver_failing_twice_gets_one_successful_delivery_with_the_same_webhook_id_every_time()
    {
        await using var receiver = await WebhookReceiver.StartAsync((_, n) => n <= 2 ? new ReceiverAnswer(500, "{\"error\":\"busy\"}") : new ReceiverAnswer(204));
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(receiver.Url, [WebhookEventTypes.RegistryAccepted]);

        await kit.AddRegistryAsync();

        var requests = await receiver.WaitForAsync(3);
        var page = await kit.DeliveriesWhenAsync(webhook.Id, p => p.Items.Any(d => d.Status != DeliveryStatus.Pending));
        Assert.Equal(3, requests.Count);
        Assert.Single(requests.Select(r => r.Header("webhook-id")).Distinct());
        Assert.All(requests, r => Assert.True(StandardWebhooksVerifier.Verify(webhook.Secret, r)));
        var delivery = Assert.Single(page.Items);
        Assert.Equal(DeliveryStatus.Succeeded, delivery.Status);
        Assert.Equal(requests[0].Header("webhook-id"), delivery.MessageId);
        Assert.Equal([500, 500, 204], delivery.Attempts.Select(a => a.StatusCode));
        Assert.Contains("busy", delivery.Attempts[0].Error, StringComparison.Ordinal);
        Assert.Null(delivery.Attempts[2].Error);
        Assert.All(delivery.Attempts, a => Assert.True(a.DurationMs >= 0));
    }

    [Fact]
    public async Task Events_of_a_registry_arrive_in_order_even_when_the_first_one_needs_retries()
    {
        // The first request fails and asks for 2 s; the later events are committed while it waits and must not overtake it.
        await using var receiver = await WebhookReceiver.StartAsync((_, n) =>
            n == 1 ? new ReceiverAnswer(503, Headers: new Dictionary<string, string> { ["Retry-After"] = "2" }) : ReceiverAnswer.Ok);
        var kit = await WebhookTestKit.StartAsync(gateway);
        await kit.SubscribeAsync(receiver.Url);

        var registryId = await kit.AddRegistryAsync();
        await receiver.WaitForAsync(1);
        await kit.MoveAsync(registryId, RegistryState.Progressing, RegistryHealth.Progressing);
        await kit.MoveAsync(registryId, RegistryState.Available, RegistryHealth.Healthy);
        await kit.MoveAsync(registryId, RegistryState.Degraded, RegistryHealth.Degraded);
        await kit.MoveAsync(registryId, RegistryState.Available, RegistryHealth.Healthy);
        await kit.MoveAsync(registryId, RegistryState.Ready);

        var requests = await receiver.WaitForAsync(7);
        string[] expected =
        [
            WebhookEventTypes.RegistryAccepted, WebhookEventTypes.RegistryProgressing, WebhookEventTypes.RegistryAvailable,
            WebhookEventTypes.RegistryDegraded, WebhookEventTypes.RegistryAvailable, WebhookEventTypes.RegistryReady,
        ];
        var types = requests.Select(r => (string?)JsonNode.Parse(r.Body)!["type"]).ToList();
        Assert.Equal([expected[0], .. expected], types);
        Assert.Equal(requests[0].Header("webhook-id"), requests[1].Header("webhook-id"));
    }

    [Fact]
    public async Task Registries_do_not_hold_each_other_up()
    {
        var blocked = "";
        await using var receiver = await WebhookReceiver.StartAsync((r, _) =>
            r.Body.Contains(blocked, StringComparison.Ordinal) ? new ReceiverAnswer(503, Headers: new Dictionary<string, string> { ["Retry-After"] = "3600" }) : ReceiverAnswer.Ok);
        var kit = await WebhookTestKit.StartAsync(gateway);
        await kit.SubscribeAsync(receiver.Url, [WebhookEventTypes.RegistryAccepted]);

        blocked = (await kit.AddRegistryAsync()).ToString();
        await receiver.WaitForAsync(1);
        var free = await kit.AddRegistryAsync();

        var requests = await receiver.WaitForAsync(2);
        Assert.Contains(free.ToString(), requests[1].Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_410_disables_the_webhook_and_nothing_more_is_delivered()
    {
        await using var receiver = await WebhookReceiver.StartAsync((_, _) => new ReceiverAnswer(410));
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(receiver.Url);

        var registryId = await kit.AddRegistryAsync();
        var page = await kit.DeliveriesWhenAsync(webhook.Id, p => p.Items.Any(d => d.Status == DeliveryStatus.Failed));
        await kit.MoveAsync(registryId, RegistryState.Progressing);
        var after = await GatewayFixture.EventuallyAsync(
            () => gateway.WithDbAsync(db => db.WebhookEvents.AnyAsync(e => e.RegistryId == registryId && e.DispatchedAt == null)), pending => !pending);

        var delivery = Assert.Single(page.Items);
        Assert.Equal(DeliveryStatus.Failed, delivery.Status);
        Assert.Equal(410, Assert.Single(delivery.Attempts).StatusCode);
        using var current = await kit.Client.GetAsync($"/v1/webhooks/{webhook.Id}");
        var subscription = await current.ReadAsync<WebhookResponse>();
        Assert.False(subscription.Enabled);
        Assert.Contains("410", subscription.DisabledReason, StringComparison.Ordinal);
        Assert.False(after);
        Assert.Single((await kit.DeliveriesAsync(webhook.Id)).Items);
        Assert.Single(receiver.Requests);
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public async Task Retry_after_on_429_and_503_sets_the_next_attempt(int status)
    {
        await using var receiver = await WebhookReceiver.StartAsync((_, _) =>
            new ReceiverAnswer(status, Headers: new Dictionary<string, string> { ["Retry-After"] = "120" }));
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(receiver.Url, [WebhookEventTypes.RegistryAccepted]);

        await kit.AddRegistryAsync();
        var page = await kit.DeliveriesWhenAsync(webhook.Id, p => p.Items.Any(d => d.AttemptCount == 1 && d.NextAttemptAt is not null));

        var delivery = Assert.Single(page.Items);
        Assert.Equal(DeliveryStatus.Pending, delivery.Status);
        var wait = delivery.NextAttemptAt!.Value - delivery.Attempts[0].At;
        // The schedule says 1 s; the receiver's 120 s wins.
        Assert.InRange(wait.TotalSeconds, 119, 135);
        Assert.Single(receiver.Requests);

        // The retry is a Hangfire job scheduled for then, not a sleeping worker (it is scheduled right after the save).
        var scheduled = await GatewayFixture.EventuallyAsync(
            () => Task.FromResult(JobStorage.Current.GetMonitoringApi().ScheduledJobs(0, 1_000_000)
                .Where(j => j.Value.Job?.Args.Any(a => Equals(a?.ToString(), webhook.Id.ToString())) == true).ToList()),
            jobs => jobs.Count > 0);
        var retry = Assert.Single(scheduled);
        var scheduledWait = new DateTimeOffset(retry.Value.EnqueueAt, TimeSpan.Zero) - delivery.Attempts[0].At;
        Assert.InRange(scheduledWait.TotalSeconds, 119, 137);
    }

    [Fact]
    public async Task A_tenants_events_reach_only_that_tenants_webhooks()
    {
        await using var mine = await WebhookReceiver.StartAsync();
        await using var theirs = await WebhookReceiver.StartAsync();
        var kit = await WebhookTestKit.StartAsync(gateway);
        var other = await WebhookTestKit.StartAsync(gateway);
        await kit.SubscribeAsync(mine.Url, [WebhookEventTypes.RegistryAccepted]);
        var theirWebhook = await other.SubscribeAsync(theirs.Url, [WebhookEventTypes.RegistryAccepted]);

        var registryId = await kit.AddRegistryAsync();
        await other.AddRegistryAsync();

        Assert.Single(await mine.WaitForAsync(1));
        Assert.Single(await theirs.WaitForAsync(1));
        Assert.Contains(registryId.ToString(), mine.Requests[0].Body, StringComparison.Ordinal);
        Assert.DoesNotContain(registryId.ToString(), theirs.Requests[0].Body, StringComparison.Ordinal);
        Assert.Single((await other.DeliveriesAsync(theirWebhook.Id)).Items);
    }

    [Fact]
    public async Task After_the_last_attempt_the_delivery_is_failed_visible_and_can_be_redelivered()
    {
        var healthy = false;
        await using var receiver = await WebhookReceiver.StartAsync((_, _) => healthy ? ReceiverAnswer.Ok : new ReceiverAnswer(500));
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(receiver.Url, [WebhookEventTypes.RegistryAccepted]);

        await kit.AddRegistryAsync();
        var failed = Assert.Single((await kit.DeliveriesWhenAsync(webhook.Id, p => p.Items.Any(d => d.Status == DeliveryStatus.Failed))).Items);
        Assert.Equal(DeliveryStatus.Failed, failed.Status);
        Assert.Equal(4, failed.AttemptCount); // the first attempt plus the test schedule's three retries
        Assert.Equal(4, failed.Attempts.Count);
        Assert.Null(failed.NextAttemptAt);

        healthy = true;
        using var redeliver = await kit.Client.PostAsync($"/v1/webhooks/{webhook.Id}/deliveries/{failed.Id}/redeliver", null);
        Assert.Equal(HttpStatusCode.Accepted, redeliver.StatusCode);
        var redelivery = await redeliver.ReadAsync<DeliveryResponse>();
        Assert.Equal(failed.Id, redelivery.RedeliveryOf);
        Assert.Equal(failed.MessageId, redelivery.MessageId);

        var page = await kit.DeliveriesWhenAsync(webhook.Id, p => p.Items.Any(d => d.Id == redelivery.Id && d.Status == DeliveryStatus.Succeeded));
        Assert.Equal(DeliveryStatus.Succeeded, page.Items.Single(d => d.Id == redelivery.Id).Status);
        Assert.Equal(DeliveryStatus.Failed, page.Items.Single(d => d.Id == failed.Id).Status);
        Assert.Equal(5, receiver.Requests.Count);
        Assert.Single(receiver.Requests.Select(r => r.Header("webhook-id")).Distinct());
    }

    [Fact]
    public async Task After_a_rotation_both_secrets_sign_until_the_overlap_ends()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(receiver.Url, [WebhookEventTypes.RegistryAccepted, WebhookEventTypes.RegistryProgressing, WebhookEventTypes.RegistryAvailable]);

        using var rotation = await kit.Client.PostAsync($"/v1/webhooks/{webhook.Id}/rotate-secret", null);
        Assert.Equal(HttpStatusCode.OK, rotation.StatusCode);
        var rotated = await rotation.ReadAsync<RotatedSecretResponse>();
        Assert.NotEqual(webhook.Secret, rotated.Secret);
        Assert.InRange(rotated.PreviousSecretExpiresAt - DateTimeOffset.UtcNow, TimeSpan.FromHours(23.9), TimeSpan.FromHours(24));

        var registryId = await kit.AddRegistryAsync();
        var during = (await receiver.WaitForAsync(1))[0];
        Assert.Equal(2, during.Header("webhook-signature")!.Split(' ').Length);
        Assert.True(StandardWebhooksVerifier.Verify(rotated.Secret, during), "the new secret does not verify");
        Assert.True(StandardWebhooksVerifier.Verify(webhook.Secret, during), "the old secret does not verify during the overlap");

        // The overlap ends (as 24 h later): only the new secret signs.
        await gateway.WithDbAsync(db => db.WebhookSubscriptions.Where(s => s.Id == webhook.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.PreviousSecretExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1))));
        await kit.MoveAsync(registryId, RegistryState.Progressing);
        var after = (await receiver.WaitForAsync(2))[1];
        Assert.Single(after.Header("webhook-signature")!.Split(' '));
        Assert.True(StandardWebhooksVerifier.Verify(rotated.Secret, after));
        Assert.False(StandardWebhooksVerifier.Verify(webhook.Secret, after));
    }

    [Fact]
    public async Task Ping_is_delivered_signed_and_logged()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(receiver.Url, [WebhookEventTypes.RegistryReady]);

        using var ping = await kit.Client.PostAsync($"/v1/webhooks/{webhook.Id}/ping", null);
        Assert.Equal(HttpStatusCode.Accepted, ping.StatusCode);

        var request = (await receiver.WaitForAsync(1))[0];
        Assert.Equal(WebhookEventTypes.Ping, (string?)JsonNode.Parse(request.Body)!["type"]);
        Assert.True(StandardWebhooksVerifier.Verify(webhook.Secret, request));
        var delivery = Assert.Single((await kit.DeliveriesWhenAsync(webhook.Id, p => p.Items.Any(d => d.Status == DeliveryStatus.Succeeded))).Items);
        Assert.Equal(200, Assert.Single(delivery.Attempts).StatusCode);
        Assert.Equal(WebhookEventTypes.Ping, delivery.EventType);
    }

    [Fact]
    public async Task Work_left_by_a_crash_is_delivered_after_a_restart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(receiver.Url);

        // A process that committed events and a due delivery, then died before any job was enqueued: written here
        // with a plain context (no after-commit kick) and backdated past the sweep's grace.
        var registryId = Guid.CreateVersion7();
        var options = new DbContextOptionsBuilder<GatewayDb>();
        options.UseGatewayDb(gateway.ConnectionString);
        await using (var crashed = new GatewayDb(options.Options))
        {
            var registry = new Registry
            {
                Id = registryId, Tenant = kit.Tenant, Cluster = "sandbox", Namespace = "crash-" + Guid.NewGuid().ToString("N")[..8], Name = "registry",
                Spec = new RegistrySpec([], null, null, null, [], new Dictionary<string, string>(), null),
            };
            crashed.Registries.Add(registry);
            var then = DateTimeOffset.UtcNow.AddMinutes(-10);
            crashed.MoveTo(registry, RegistryState.Accepted, "Test", "Before the crash.", then);
            var first = crashed.Set<WebhookEvent>().Local.Single();
            crashed.WebhookDeliveries.Add(new WebhookDelivery
            {
                SubscriptionId = webhook.Id, Event = first, OrderingKey = registryId, MessageId = WebhookDelivery.NewMessageId(),
                NextAttemptAt = then, CreatedAt = then,
            });
            first.DispatchedAt = then;
            crashed.MoveTo(registry, RegistryState.Progressing, "Test", "Before the crash.", then.AddSeconds(1));
            await crashed.SaveChangesAsync();
        }

        Assert.Empty(receiver.Requests);

        // The restarted gateway's sweep (run here from a fresh scope, as the recurring job does) finds both.
        await using (var scope = gateway.Host.Services.CreateAsyncScope())
        {
            await scope.ServiceProvider.GetRequiredService<WebhookSweepJob>().RunAsync(CancellationToken.None);
        }

        var requests = await receiver.WaitForAsync(2);
        Assert.Equal([WebhookEventTypes.RegistryAccepted, WebhookEventTypes.RegistryProgressing],
            requests.Select(r => (string?)JsonNode.Parse(r.Body)!["type"]));
        Assert.All(requests, r => Assert.True(StandardWebhooksVerifier.Verify(webhook.Secret, r)));
    }

    [Fact]
    public async Task Internal_destinations_are_refused_at_delivery_time_too()
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync("http://127.0.0.1:9/hook", [WebhookEventTypes.RegistryAccepted]);
        // As if the name had resolved publicly when it was subscribed and privately now.
        await gateway.WithDbAsync(db => db.WebhookSubscriptions.Where(s => s.Id == webhook.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Url, "http://10.255.255.1:9/hook")));

        await kit.AddRegistryAsync();
        var page = await kit.DeliveriesWhenAsync(webhook.Id, p => p.Items.Any(d => d.AttemptCount > 0));

        var attempt = Assert.Single(page.Items).Attempts[0];
        Assert.Null(attempt.StatusCode);
        Assert.Contains("Destination refused", attempt.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_secret_token_or_config_bundle_content_reaches_payloads_or_the_delivery_log()
    {
        const string password = "Sup3r-secret-pw";
        const string dbPassword = "db-Pa55-in-bundle";
        await using var receiver = await WebhookReceiver.StartAsync();
        var kit = await WebhookTestKit.StartAsync(gateway);
        var webhook = await kit.SubscribeAsync(receiver.Url, [WebhookEventTypes.RegistryAccepted], WebhookKinds.Standard,
            new WebhookAuth(BearerToken: "bearer-token-77aa"));

        using var created = await kit.Client.PostJsonAsync("/v1/registries", new CreateRegistryRequest(
            "reg-" + Guid.NewGuid().ToString("N")[..8], kit.Tenant, Components: [new("postgres", false)],
            ConfigBundle: new Dictionary<string, string> { ["config.yaml"] = $"FEATURE_USER_INITIALIZE: true\nDB_URI: postgresql://quay:{dbPassword}@db/quay\n" },
            InitialUser: new InitialUserRequest("quayadmin", "quayadmin@example.com", password)));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);

        var request = (await receiver.WaitForAsync(1))[0];
        Assert.Equal("Bearer bearer-token-77aa", request.Header("authorization"));
        var log = await (await kit.Client.GetAsync($"/v1/webhooks/{webhook.Id}/deliveries")).Content.ReadAsStringAsync();
        foreach (var text in new[] { request.Body, log })
        {
            Assert.DoesNotContain(password, text, StringComparison.Ordinal);
            Assert.DoesNotContain(dbPassword, text, StringComparison.Ordinal);
            Assert.DoesNotContain("FEATURE_USER_INITIALIZE", text, StringComparison.Ordinal);
            Assert.DoesNotContain(webhook.Secret[6..], text, StringComparison.Ordinal);
            Assert.DoesNotContain("bearer-token-77aa", text, StringComparison.Ordinal);
        }
    }
}
