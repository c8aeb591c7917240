using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Webhooks.Delivery;

/// <summary>The outbox row commits with the state change that causes it, or not at all.</summary>
[Collection(GatewayCollection.Name)]
public sealed class WebhookOutboxTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_state_change_that_loses_a_concurrency_race_leaves_no_event_behind()
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        var registryId = await kit.AddRegistryAsync();

        // Two writers read the same version; the second one's save fails and must take its event down with it.
        await using var first = gateway.Host.Services.CreateAsyncScope();
        await using var second = gateway.Host.Services.CreateAsyncScope();
        var db1 = first.ServiceProvider.GetRequiredService<QuayGateway.Persistence.GatewayDb>();
        var db2 = second.ServiceProvider.GetRequiredService<QuayGateway.Persistence.GatewayDb>();
        var r1 = await db1.Registries.SingleAsync(r => r.Id == registryId);
        var r2 = await db2.Registries.SingleAsync(r => r.Id == registryId);
        db1.MoveTo(r1, RegistryState.Progressing, "Test", "First writer.", DateTimeOffset.UtcNow);
        db2.MoveTo(r2, RegistryState.Failed, "Test", "Second writer.", DateTimeOffset.UtcNow);
        await db1.SaveChangesAsync();
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => db2.SaveChangesAsync());

        var types = await gateway.WithDbAsync(db => db.WebhookEvents.Where(e => e.RegistryId == registryId).OrderBy(e => e.Id).Select(e => e.Type).ToListAsync());
        Assert.Equal([WebhookEventTypes.RegistryAccepted, WebhookEventTypes.RegistryProgressing], types);
        Assert.Equal(RegistryState.Progressing, await gateway.WithDbAsync(db => db.Registries.Where(r => r.Id == registryId).Select(r => r.State).SingleAsync()));
    }

    [Fact]
    public async Task Non_state_events_carry_a_snapshot_and_unknown_types_are_refused()
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        var registryId = await kit.AddRegistryAsync(new TicketReference("jira", "OPS-7"));

        var payload = await gateway.WithDbAsync(async db =>
        {
            var registry = await db.Registries.SingleAsync(r => r.Id == registryId);
            Assert.Throws<ArgumentException>(() => db.AddWebhookEvent(registry, "registry.exploded", DateTimeOffset.UtcNow));
            registry.RegistryEndpoint = "https://registry.example.com";
            var added = db.AddWebhookEvent(registry, WebhookEventTypes.QuayOrganizationCreated, DateTimeOffset.UtcNow,
                new Dictionary<string, string> { ["organization"] = "testorg" });
            await db.SaveChangesAsync();
            return added.Payload;
        });

        var node = System.Text.Json.Nodes.JsonNode.Parse(payload)!;
        Assert.Equal(WebhookEventTypes.QuayOrganizationCreated, (string?)node["type"]);
        Assert.Equal("https://registry.example.com", (string?)node["data"]!["registry"]!["registryEndpoint"]);
        Assert.Equal("testorg", (string?)node["data"]!["details"]!["organization"]);
        Assert.Equal("OPS-7", (string?)node["data"]!["ticket"]!["key"]);
    }

    [Fact]
    public async Task A_unit_of_work_that_adds_events_asks_for_one_dispatcher_job_and_a_cleared_one_asks_again()
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        var registryId = await kit.AddRegistryAsync();

        await gateway.WithDbAsync(async db =>
        {
            var registry = await db.Registries.SingleAsync(r => r.Id == registryId);
            db.AddWebhookEvent(registry, WebhookEventTypes.RegistryApplied, DateTimeOffset.UtcNow);
            db.AddWebhookEvent(registry, WebhookEventTypes.RegistryProgressing, DateTimeOffset.UtcNow);
            Assert.Equal(1, DispatcherJobsAdded(db));

            db.ChangeTracker.Clear(); // a unit of work given up: its job went with it
            db.AddWebhookEvent(registry, WebhookEventTypes.RegistryApplied, DateTimeOffset.UtcNow);
            Assert.Equal(1, DispatcherJobsAdded(db));
            return 0;
        });
    }

    private static int DispatcherJobsAdded(QuayGateway.Persistence.GatewayDb db) =>
        db.ChangeTracker.Entries<QuayGateway.Jobs.OutboxJob>()
            .Where(e => e.State == EntityState.Added)
            .SelectMany(e => e.Entity.Payloads())
            .Count(job => job.Contains(nameof(QuayGateway.Webhooks.Delivery.WebhookDispatcher), StringComparison.Ordinal));
}
