using System.Diagnostics;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Webhooks.Model;
using QuayGateway.Webhooks.Senders;

namespace QuayGateway.Webhooks.Delivery;

/// <summary>
/// Drains one delivery queue (a subscription and a registry) in event order: the head goes out first, and while it
/// waits for a retry nothing behind it overtakes it. One worker per queue at a time (a session advisory lock).
/// A failed attempt schedules the next one through Hangfire per the retry schedule (or the receiver's Retry-After);
/// after the last one the delivery is Failed and the queue moves on. A 410 disables the subscription.
/// </summary>
public sealed class WebhookDeliveryJob(
    GatewayDb db,
    SessionLocks locks,
    IEnumerable<IWebhookSender> senders,
    WebhookSecretProtector protector,
    IBackgroundJobClient jobs,
    WebhookOptions options,
    WebhookMetrics metrics,
    ILogger<WebhookDeliveryJob> logger)
{
    /// <summary>
    /// Hangfire keeps schedule times in whole seconds and can start a job up to a second early (replicas' clocks may
    /// differ a little too); a retry job that found its delivery not yet due would do nothing. So retries are scheduled
    /// this much after the due time, and a head this close to due counts as due.
    /// </summary>
    private static readonly TimeSpan ScheduleSlack = TimeSpan.FromSeconds(1);

    [Queue(WebhookOptions.Queue)]
    public async Task RunAsync(Guid subscriptionId, Guid orderingKey, CancellationToken ct)
    {
        await using (var queueLock = await locks.TryAcquireAsync($"quaygateway.webhooks.queue:{subscriptionId:N}:{orderingKey:N}", ct))
        {
            if (queueLock is null)
            {
                return; // Another worker is draining this queue; it re-checks for new work after it lets go.
            }

            try
            {
                await DrainAsync(subscriptionId, orderingKey, ct);
            }
            catch (DbUpdateException) when (!ct.IsCancellationRequested)
            {
                db.ChangeTracker.Clear();
                if (await db.WebhookSubscriptions.AnyAsync(s => s.Id == subscriptionId, CancellationToken.None))
                {
                    throw; // A real failure: Hangfire retries the job, and the attempt is made again.
                }

                // The webhook was deleted while an attempt was in flight; its deliveries went with it.
                logger.LogInformation("Webhook {SubscriptionId} was deleted during a delivery; nothing left to do", subscriptionId);
                return;
            }
        }

        // A delivery may have joined the queue after the last look but before the unlock: start again for it.
        if (await HeadAsync(subscriptionId, orderingKey, ct) is { } head && head.NextAttemptAt <= DateTimeOffset.UtcNow)
        {
            jobs.Enqueue<WebhookDeliveryJob>(j => j.RunAsync(subscriptionId, orderingKey, CancellationToken.None));
        }
    }

    private Task<WebhookDelivery?> HeadAsync(Guid subscriptionId, Guid orderingKey, CancellationToken ct) =>
        db.WebhookDeliveries.AsNoTracking()
            .Where(d => d.SubscriptionId == subscriptionId && d.OrderingKey == orderingKey && d.Status == DeliveryStatus.Pending)
            .Where(d => db.Set<WebhookSubscription>().Any(s => s.Id == subscriptionId && s.Enabled))
            .OrderBy(d => d.EventId).ThenBy(d => d.Id)
            .FirstOrDefaultAsync(ct);

    private async Task DrainAsync(Guid subscriptionId, Guid orderingKey, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            db.ChangeTracker.Clear();
            var subscription = await db.WebhookSubscriptions.SingleOrDefaultAsync(s => s.Id == subscriptionId, ct);
            if (subscription is not { Enabled: true })
            {
                return;
            }

            var delivery = await db.WebhookDeliveries.Include(d => d.Event)
                .Where(d => d.SubscriptionId == subscriptionId && d.OrderingKey == orderingKey && d.Status == DeliveryStatus.Pending)
                .OrderBy(d => d.EventId).ThenBy(d => d.Id)
                .FirstOrDefaultAsync(ct);
            if (delivery is null || delivery.NextAttemptAt > DateTimeOffset.UtcNow + ScheduleSlack)
            {
                return; // Empty, or the head waits for its scheduled retry.
            }

            if (!await AttemptAsync(subscription, delivery, ct))
            {
                return;
            }
        }
    }

    /// <summary>Makes one attempt and records it. True when the queue may go on to the next delivery.</summary>
    private async Task<bool> AttemptAsync(WebhookSubscription subscription, WebhookDelivery delivery, CancellationToken ct)
    {
        var link = delivery.Event.RegistryId is { } registryId
            ? await db.WebhookTicketLinks.SingleOrDefaultAsync(l => l.SubscriptionId == subscription.Id && l.RegistryId == registryId, ct)
            : null;
        var startedAt = DateTimeOffset.UtcNow;
        var message = new OutgoingMessage(new Uri(subscription.Url), delivery.MessageId, delivery.Event,
            subscription.SigningSecrets(protector, startedAt), protector.UnprotectAuth(subscription.ProtectedAuth), subscription.ServiceNow,
            link?.ExternalId);
        var sender = senders.Single(s => s.Kind == subscription.Kind);
        var clock = Stopwatch.StartNew();
        var outcome = await sender.SendAsync(message, ct);
        var elapsed = clock.Elapsed;

        delivery.AttemptCount++;
        db.WebhookAttempts.Add(new WebhookAttempt
        {
            DeliveryId = delivery.Id, At = startedAt, StatusCode = outcome.StatusCode, DurationMs = (int)elapsed.TotalMilliseconds,
            Error = outcome.Error is { Length: > 1000 } text ? text[..1000] : outcome.Error,
        });

        var goOn = true;
        var now = DateTimeOffset.UtcNow;
        if (outcome.Succeeded)
        {
            (delivery.Status, delivery.CompletedAt, delivery.NextAttemptAt) = (DeliveryStatus.Succeeded, now, null);
            if (outcome.ExternalId is { } externalId && link is null && delivery.Event.RegistryId is { } registry)
            {
                db.WebhookTicketLinks.Add(new WebhookTicketLink { SubscriptionId = subscription.Id, RegistryId = registry, ExternalId = externalId });
            }
        }
        else if (outcome.StatusCode == StatusCodes.Status410Gone)
        {
            (delivery.Status, delivery.CompletedAt, delivery.NextAttemptAt) = (DeliveryStatus.Failed, now, null);
            (subscription.Enabled, subscription.DisabledReason, subscription.UpdatedAt) =
                (false, $"The receiver answered 410 Gone at {now:u}; re-enable with PATCH {{\"enabled\": true}}.", now);
            logger.LogWarning("Webhook {SubscriptionId} disabled: its receiver answered 410 Gone", subscription.Id);
            goOn = false;
        }
        else if (delivery.AttemptCount >= options.MaxAttempts)
        {
            (delivery.Status, delivery.CompletedAt, delivery.NextAttemptAt) = (DeliveryStatus.Failed, now, null);
            logger.LogWarning("Webhook delivery {DeliveryId} failed after {Attempts} attempts", delivery.Id, delivery.AttemptCount);
        }
        else
        {
            var delay = outcome.RetryAfter ?? options.RetrySchedule[delivery.AttemptCount - 1];
            delivery.NextAttemptAt = now + delay;
            goOn = false;
        }

        await db.SaveChangesAsync(ct);
        metrics.CountWebhookDelivery(outcome.Succeeded ? "succeeded" : delivery.Status == DeliveryStatus.Failed ? "failed" : "retrying");
        if (delivery is { Status: DeliveryStatus.Pending, NextAttemptAt: { } next })
        {
            jobs.Schedule<WebhookDeliveryJob>(j => j.RunAsync(subscription.Id, delivery.OrderingKey, CancellationToken.None), next + ScheduleSlack);
        }

        // An expected refusal (guard, connection refused, timeout, 4xx/5xx) is this one line with its reason, no stack.
        if (outcome.Succeeded)
        {
            logger.LogInformation("Webhook delivery {DeliveryId} attempt {Attempt}: {StatusCode} in {DurationMs} ms, now {Status}",
                delivery.Id, delivery.AttemptCount, outcome.StatusCode, (int)elapsed.TotalMilliseconds, delivery.Status);
        }
        else
        {
            logger.LogInformation("Webhook delivery {DeliveryId} attempt {Attempt} refused in {DurationMs} ms, now {Status}: {Reason}",
                delivery.Id, delivery.AttemptCount, (int)elapsed.TotalMilliseconds, delivery.Status, outcome.Error ?? $"HTTP {outcome.StatusCode}");
        }
        return goOn;
    }
}
