using Microsoft.EntityFrameworkCore;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Delivery;

/// <summary>
/// Writes webhook events into the outbox, in the caller's unit of work: the event commits with the change it
/// announces or not at all, and so does the <see cref="WebhookDispatcher"/> job that starts its delivery (one per unit
/// of work, however many events it adds; <see cref="WebhookSweepJob"/> stays the safety net for anything older).
/// </summary>
public static class WebhookOutbox
{
    // The same job every time: serialized once.
    private static readonly PreparedJob DispatcherJob = PreparedJob.Of<WebhookDispatcher>(d => d.RunAsync(CancellationToken.None));

    /// <summary>
    /// Adds an event for a registry. <see cref="RegistryTransitions.MoveTo"/> calls it for state changes; call it
    /// directly for news that is not a state change (<c>registry.applied</c>, <c>quay.user_initialized</c>,
    /// <c>quay.organization_created</c>). The payload is a snapshot taken now, so update the registry first.
    /// <paramref name="details"/> adds plain facts (an organization's name); never put a token or password in it.
    /// </summary>
    public static WebhookEvent AddWebhookEvent(
        this GatewayDb db, Registry registry, string type, DateTimeOffset now, IReadOnlyDictionary<string, string>? details = null)
    {
        if (!WebhookEventTypes.All.Contains(type))
        {
            throw new ArgumentException($"'{type}' is not a webhook event type.", nameof(type));
        }

        var id = WebhookPayload.NewEventId();
        var webhookEvent = new WebhookEvent
        {
            EventId = id,
            Tenant = registry.Tenant,
            RegistryId = registry.Id,
            Type = type,
            OccurredAt = now,
            Payload = WebhookPayload.For(registry, id, type, now, details).ToJson(),
        };
        db.AddNew(webhookEvent);
        db.EnqueueJob(DispatcherJob); // once per unit of work, however many events it adds
        return webhookEvent;
    }
}
