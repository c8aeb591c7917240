using Hangfire;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Delivery;

/// <summary>
/// Recurring safety net, and what makes pending work survive a restart: events committed but never dispatched (the
/// process died before the kick) and deliveries whose scheduled attempt is overdue (its job was lost) are started again.
/// Running it twice is harmless: dispatching and each delivery queue are serialised by locks.
/// </summary>
public sealed class WebhookSweepJob(GatewayDb db, IBackgroundJobClient jobs, WebhookOptions options, ILogger<WebhookSweepJob> logger)
{
    public const string RecurringId = "webhooks-sweep";

    [DisableConcurrentExecution(60)]
    public async Task RunAsync(CancellationToken ct)
    {
        var before = DateTimeOffset.UtcNow - options.SweepGrace;
        if (await db.Set<WebhookEvent>().AnyAsync(e => e.DispatchedAt == null && e.OccurredAt < before, ct))
        {
            jobs.Enqueue<WebhookDispatcher>(d => d.RunAsync(CancellationToken.None));
        }

        var overdue = await (
                from d in db.WebhookDeliveries
                join s in db.WebhookSubscriptions on d.SubscriptionId equals s.Id
                where d.Status == DeliveryStatus.Pending && d.NextAttemptAt < before && s.Enabled
                select new { d.SubscriptionId, d.OrderingKey })
            .Distinct()
            .ToListAsync(ct);
        foreach (var queue in overdue)
        {
            jobs.Enqueue<WebhookDeliveryJob>(j => j.RunAsync(queue.SubscriptionId, queue.OrderingKey, CancellationToken.None));
        }

        if (overdue.Count > 0)
        {
            logger.LogInformation("Webhook sweep restarted {Count} overdue delivery queues", overdue.Count);
        }

        // Retention: old events go with their deliveries and attempts, once nothing about them is pending.
        var expired = DateTimeOffset.UtcNow - options.Retention;
        var removed = await db.Set<WebhookEvent>()
            .Where(e => e.DispatchedAt != null && e.OccurredAt < expired
                        && !db.Set<WebhookDelivery>().Any(d => d.EventId == e.Id && d.Status == DeliveryStatus.Pending))
            .ExecuteDeleteAsync(ct);
        if (removed > 0)
        {
            logger.LogInformation("Webhook sweep removed {Count} events older than {Retention}", removed, options.Retention);
        }
    }
}
