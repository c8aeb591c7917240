using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Api;

/// <summary>
/// <c>POST /v1/webhooks/{id}/ping</c>: a <c>webhook.ping</c> event delivered like any other (signed, retried, logged), so
/// the receiver's setup can be checked end to end. ServiceNow webhooks read one record instead of writing one.
/// </summary>
public static class PingWebhook
{
    public static async Task<Results<Accepted<DeliveryResponse>, ProblemHttpResult>> HandleAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, CancellationToken ct)
    {
        var subscription = await db.FindWebhookAsync(id, user, ct, tracked: false);
        if (subscription is null)
        {
            return WebhookProblems.NotFound(id);
        }

        if (!subscription.Enabled)
        {
            return WebhookProblems.Disabled(subscription);
        }

        var now = DateTimeOffset.UtcNow;
        var eventId = WebhookPayload.NewEventId();
        var ping = new WebhookEvent
        {
            EventId = eventId, Tenant = subscription.Tenant, Type = WebhookEventTypes.Ping, OccurredAt = now,
            Payload = WebhookPayload.Of(eventId, WebhookEventTypes.Ping, now, new Dictionary<string, object?> { ["registry"] = null, ["ticket"] = null }).ToJson(),
            // Addressed to this webhook alone, so the dispatcher has nothing to fan out.
            DispatchedAt = now,
        };
        var deliveryId = Uuid7.New();
        var delivery = new WebhookDelivery
        {
            Id = deliveryId, SubscriptionId = id, Event = ping, OrderingKey = deliveryId, MessageId = WebhookDelivery.NewMessageId(),
            NextAttemptAt = now, CreatedAt = now,
        };
        db.WebhookDeliveries.Add(delivery);
        db.EnqueueJob<WebhookDeliveryJob>(j => j.RunAsync(id, deliveryId, CancellationToken.None));
        await db.SaveChangesAsync(ct);
        return TypedResults.Accepted($"{WebhooksApi.Location(id)}/deliveries", DeliveryResponse.From(delivery));
    }
}
