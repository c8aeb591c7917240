using Microsoft.EntityFrameworkCore;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
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
    /// Adds an event to the outbox, with the job that starts its delivery. Deliveries to a subscription are ordered
    /// per <paramref name="registryId"/>. <paramref name="data"/> is the payload's <c>data</c>, a snapshot taken now by
    /// the announcing feature (registries announce through their own <c>AddWebhookEvent</c>); never a token or password.
    /// </summary>
    public static WebhookEvent AddWebhookEvent<TData>(
        this INewRows rows, string tenant, Guid registryId, string type, DateTimeOffset now, TData data)
    {
        if (!WebhookEventTypes.All.Contains(type))
        {
            throw new ArgumentException($"'{type}' is not a webhook event type.", nameof(type));
        }

        var id = WebhookPayload.NewEventId();
        var webhookEvent = new WebhookEvent
        {
            EventId = id,
            Tenant = tenant,
            RegistryId = registryId,
            Type = type,
            OccurredAt = now,
            Payload = WebhookPayload.Of(id, type, now, data).ToJson(),
        };
        rows.Add(webhookEvent);
        rows.EnqueueJob(DispatcherJob); // once per unit of work, however many events it adds
        return webhookEvent;
    }
}
