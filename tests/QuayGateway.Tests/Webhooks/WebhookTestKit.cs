using System.Net;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Api;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Webhooks;

/// <summary>
/// Webhook test helpers. Each test works in its own tenant, so events from other tests never reach its receivers;
/// registries are written the way the engine writes them (through <see cref="RegistryTransitions.MoveTo"/> in a scope).
/// </summary>
public sealed class WebhookTestKit(GatewayFixture gateway)
{
    public string Tenant { get; } = "wh-" + Guid.NewGuid().ToString("N")[..12];

    public HttpClient Client { get; private set; } = null!;

    public static async Task<WebhookTestKit> StartAsync(GatewayFixture gateway)
    {
        var kit = new WebhookTestKit(gateway);
        kit.Client = gateway.Client(await gateway.CreateKeyAsync(kit.Tenant, Scopes.WebhooksAdmin, Scopes.RegistriesRead, Scopes.RegistriesWrite));
        return kit;
    }

    public async Task<CreatedWebhookResponse> SubscribeAsync(
        string url, IReadOnlyList<string>? events = null, string? kind = null, WebhookAuth? auth = null, ServiceNowSettings? serviceNow = null)
    {
        using var response = await Client.PostJsonAsync("/v1/webhooks", new CreateWebhookRequest(url, events ?? WebhookEventTypes.All, kind, auth, serviceNow));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await response.ReadAsync<CreatedWebhookResponse>();
    }

    /// <summary>A registry of this kit's tenant, accepted (which announces <c>registry.accepted</c>).</summary>
    public Task<Guid> AddRegistryAsync(TicketReference? ticket = null) => gateway.WithDbAsync(async db =>
    {
        var registry = new Registry
        {
            Tenant = Tenant, Cluster = "sandbox", Namespace = "quay-" + Guid.NewGuid().ToString("N")[..8], Name = "registry",
            Spec = new RegistrySpec([], null, null, null, [], new Dictionary<string, string>(), ticket),
        };
        db.Registries.Add(registry);
        db.MoveTo(registry, RegistryState.Accepted, "RequestAccepted", "Accepted by a test.", DateTimeOffset.UtcNow);
        await db.SaveChangesAsync();
        return registry.Id;
    });

    public Task MoveAsync(Guid registryId, RegistryState state, RegistryHealth? health = null) => gateway.WithDbAsync(async db =>
    {
        var registry = await db.Registries.SingleAsync(r => r.Id == registryId);
        registry.Health = health ?? registry.Health;
        db.MoveTo(registry, state, "Test", $"Moved to {state} by a test.", DateTimeOffset.UtcNow);
        return await db.SaveChangesAsync();
    });

    public async Task<DeliveryPage> DeliveriesAsync(Guid webhookId)
    {
        using var response = await Client.GetAsync($"/v1/webhooks/{webhookId}/deliveries");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadAsync<DeliveryPage>();
    }

    /// <summary>Polls the delivery log until <paramref name="done"/> holds (or 30 s passed).</summary>
    public Task<DeliveryPage> DeliveriesWhenAsync(Guid webhookId, Func<DeliveryPage, bool> done) =>
        GatewayFixture.EventuallyAsync(() => DeliveriesAsync(webhookId), done, TimeSpan.FromSeconds(30));
}
