using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Api;

/// <summary>
/// The delivery log (<c>GET /v1/webhooks/{id}/deliveries</c>, newest first, every attempt with status code, duration and
/// error) and manual redelivery (<c>POST …/deliveries/{deliveryId}/redeliver</c>).
/// </summary>
public static class WebhookDeliveries
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static async Task<Results<Ok<DeliveryPage>, ValidationProblem, ProblemHttpResult>> ListAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, CancellationToken ct,
        DeliveryStatus? status = null, int? limit = null, string? cursor = null)
    {
        var pageSize = limit ?? DefaultLimit;
        if (pageSize is < 1 or > MaxLimit)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["limit"] = [$"limit must be between 1 and {MaxLimit}."] });
        }

        Guid? before = null;
        if (cursor is not null)
        {
            if (!Guid.TryParseExact(cursor, "N", out var parsed))
            {
                return Problems.Validation(new Dictionary<string, string[]> { ["cursor"] = ["The cursor is not one this API returned."] });
            }

            before = parsed;
        }

        if (await db.FindWebhookAsync(id, user, ct, tracked: false) is null)
        {
            return WebhookProblems.NotFound(id);
        }

        var query = db.WebhookDeliveries.AsNoTracking().Include(d => d.Event).Include(d => d.Attempts).Where(d => d.SubscriptionId == id);
        if (status is not null)
        {
            query = query.Where(d => d.Status == status);
        }

        if (before is { } b)
        {
            query = query.Where(d => d.Id.CompareTo(b) < 0);
        }

        var rows = await query.OrderByDescending(d => d.Id).Take(pageSize + 1).AsSplitQuery().ToListAsync(ct);
        var next = rows.Count > pageSize ? rows[pageSize - 1].Id.ToString("N") : null;
        return TypedResults.Ok(new DeliveryPage(rows.Take(pageSize).Select(DeliveryResponse.From).ToList(), next));
    }

    /// <summary>
    /// Sends a finished delivery again as a new delivery with the same <c>webhook-id</c> (so a receiver that did get it
    /// can tell), outside the registry's queue: a manual resend neither waits for nor holds up newer events.
    /// </summary>
    public static async Task<Results<Accepted<DeliveryResponse>, ProblemHttpResult>> RedeliverAsync(
        Guid id, Guid deliveryId, ClaimsPrincipal user, GatewayDb db, CancellationToken ct)
    {
        var subscription = await db.FindWebhookAsync(id, user, ct, tracked: false);
        if (subscription is null)
        {
            return WebhookProblems.NotFound(id);
        }

        var original = await db.WebhookDeliveries.Include(d => d.Event)
            .SingleOrDefaultAsync(d => d.Id == deliveryId && d.SubscriptionId == id, ct);
        if (original is null)
        {
            return Problems.NotFound($"Delivery '{deliveryId}'");
        }

        if (!subscription.Enabled)
        {
            return WebhookProblems.Disabled(subscription);
        }

        if (original.Status == DeliveryStatus.Pending)
        {
            return Problems.Conflict(ProblemTypes.InvalidState, "Delivery still pending",
                $"Delivery '{deliveryId}' is still being delivered (next attempt {original.NextAttemptAt:u}); redeliver it once it has succeeded or failed.");
        }

        var now = DateTimeOffset.UtcNow;
        var redeliveryId = Uuid7.New();
        var redelivery = new WebhookDelivery
        {
            Id = redeliveryId, SubscriptionId = id, EventId = original.EventId, Event = original.Event, OrderingKey = redeliveryId,
            MessageId = original.MessageId, RedeliveryOf = original.Id, NextAttemptAt = now, CreatedAt = now,
        };
        db.WebhookDeliveries.Add(redelivery);
        db.EnqueueJob<WebhookDeliveryJob>(j => j.RunAsync(id, redelivery.OrderingKey, CancellationToken.None));
        await db.SaveChangesAsync(ct);
        return TypedResults.Accepted($"{WebhooksApi.Location(id)}/deliveries", DeliveryResponse.From(redelivery));
    }
}
