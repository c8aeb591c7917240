using Hangfire;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Delivery;

/// <summary>
/// Fans undispatched outbox events out to the tenant's enabled subscriptions that want them, as deliveries, and
/// starts each affected delivery queue. One dispatcher at a time (a transaction-scoped advisory lock), so events are
/// turned into deliveries in outbox order.
/// </summary>
public sealed class WebhookDispatcher(GatewayDb db, IBackgroundJobClient jobs, ILogger<WebhookDispatcher> logger)
{
    private const int BatchSize = 200;

    public async Task RunAsync(CancellationToken ct)
    {
        var queues = new HashSet<(Guid Subscription, Guid OrderingKey)>();
        while (await DispatchBatchAsync(queues, ct))
        {
        }

        foreach (var (subscription, key) in queues)
        {
            jobs.Enqueue<WebhookDeliveryJob>(j => j.RunAsync(subscription, key, CancellationToken.None));
        }
    }

    private async Task<bool> DispatchBatchAsync(HashSet<(Guid, Guid)> queues, CancellationToken ct)
    {
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlRawAsync("SELECT pg_advisory_xact_lock(hashtextextended('quaygateway.webhooks.dispatcher', 0))", ct);
        var events = await db.WebhookEvents.Where(e => e.DispatchedAt == null).OrderBy(e => e.Id).Take(BatchSize).ToListAsync(ct);
        if (events.Count == 0)
        {
            return false;
        }

        var tenants = events.Select(e => e.Tenant).Distinct().ToList();
        var subscriptions = await db.WebhookSubscriptions.AsNoTracking()
            .Where(s => tenants.Contains(s.Tenant) && s.Enabled)
            .ToListAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var created = 0;
        foreach (var webhookEvent in events)
        {
            foreach (var subscription in subscriptions.Where(s => s.Tenant == webhookEvent.Tenant && s.Wants(webhookEvent.Type)))
            {
                var id = Uuid7.New();
                var orderingKey = webhookEvent.RegistryId ?? id;
                db.WebhookDeliveries.Add(new WebhookDelivery
                {
                    Id = id, SubscriptionId = subscription.Id, EventId = webhookEvent.Id, OrderingKey = orderingKey,
                    MessageId = WebhookDelivery.NewMessageId(), NextAttemptAt = now, CreatedAt = now,
                });
                queues.Add((subscription.Id, orderingKey));
                created++;
            }

            webhookEvent.DispatchedAt = now;
        }

        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        db.ChangeTracker.Clear();
        logger.LogInformation("Dispatched {Events} webhook events into {Deliveries} deliveries", events.Count, created);
        return events.Count == BatchSize;
    }
}
