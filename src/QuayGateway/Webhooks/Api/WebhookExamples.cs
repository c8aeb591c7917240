using QuayGateway.Hosting;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Api;

/// <summary>The examples the OpenAPI document shows for the webhook answers (the subscription of <see cref="CreateWebhook.Example"/>).</summary>
public static class WebhookExamples
{
    private static readonly Guid Id = Guid.Parse("019ae3b8-2f6a-7c41-b9d0-5e3f7a1c8d24");
    private static readonly DateTimeOffset Created = new(2026, 12, 1, 9, 12, 5, TimeSpan.Zero);
    private const string Url = "https://hooks.example.com/quay-gateway";

    private static readonly IReadOnlyList<string> Events =
        [WebhookEventTypes.RegistryAccepted, WebhookEventTypes.RegistryAvailable, WebhookEventTypes.RegistryReady, WebhookEventTypes.RegistryFailed];

    public static readonly CreatedWebhookResponse Created201 = new(
        Id, Url, Events, WebhookKinds.Standard, true, null, null, Created, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");

    public static readonly WebhookResponse Webhook = new(
        Id, Url, Events, WebhookKinds.Standard, true, null, null, null, null, Created, Created);

    public static readonly WebhookList List = new([Webhook]);

    public static readonly RotatedSecretResponse Rotated = new("whsec_Y2JlNTc4ZDQ1NzI0NGI2YmE3ZTg1ZmYz", Created.AddDays(3).AddHours(24));

    public static readonly DeliveryResponse Delivery = new(
        Guid.Parse("019ae3c5-1d2e-7f3a-8b4c-9d0e1f2a3b4c"), "msg_019ae3c51d2e7f3a8b4c9d0e1f2a3b4d", "evt_019ae3c4f9a87b6c5d4e3f2a1b0c9d8e", WebhookEventTypes.RegistryAvailable,
        Guid.Parse("019ae3c4-5b7d-7e21-9c3f-2a8d4e6f1b09"), DeliveryStatus.Succeeded, 2, null,
        new DateTimeOffset(2026, 12, 1, 9, 36, 42, TimeSpan.Zero), new DateTimeOffset(2026, 12, 1, 9, 36, 48, TimeSpan.Zero), null,
        [
            new(new DateTimeOffset(2026, 12, 1, 9, 36, 43, TimeSpan.Zero), 503, 118, "The receiver answered 503 Service Unavailable."),
            new(new DateTimeOffset(2026, 12, 1, 9, 36, 48, TimeSpan.Zero), 200, 74, null),
        ]);

    public static readonly DeliveryPage Deliveries = new([Delivery], null);

    /// <summary>Registers the examples with the OpenAPI document.</summary>
    public static WebApplicationBuilder DocumentWebhookExamples(this WebApplicationBuilder builder) => builder
        .DocumentExample(Created201).DocumentExample(Webhook).DocumentExample(List).DocumentExample(Rotated)
        .DocumentExample(Delivery).DocumentExample(Deliveries);
}
