using QuayGateway.Persistence;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Registries.Model;

/// <summary>
/// The one way a registry changes state: the row, its timeline entry and its webhook outbox event are added to the
/// same unit of work, so they commit together or not at all. Set the registry's other fields (health, conditions,
/// endpoint) before calling <see cref="MoveTo"/>: the event carries a snapshot of the registry as it is then.
/// </summary>
public static class RegistryTransitions
{
    public static bool MoveTo(this INewRows db, Registry registry, RegistryState to, string reason, string message, DateTimeOffset now)
    {
        // A new registry's first state is recorded even though it is the default one.
        if (registry.State == to && !db.IsNew(registry))
        {
            return false;
        }

        registry.State = to;
        registry.UpdatedAt = now;
        db.Add(new RegistryEvent
        {
            RegistryId = registry.Id, At = now, Type = TimelineEntryType.StateChanged, State = to, Reason = reason, Message = message,
        });
        if (EventTypeFor(to) is { } eventType)
        {
            db.AddWebhookEvent(registry, eventType, now);
        }

        return true;
    }

    /// <summary>A timeline entry that is not a state change: a condition transition, a drift, a bootstrap step.</summary>
    public static void Record(this INewRows db, Registry registry, TimelineEntryType type, string reason, string message, DateTimeOffset now) =>
        db.Add(new RegistryEvent
        {
            RegistryId = registry.Id, At = now, Type = type, State = registry.State, Reason = reason, Message = message,
        });

    /// <summary>
    /// Adds a webhook event about the registry. <see cref="MoveTo"/> adds one for each state change that is news; add
    /// one directly for news that is not a state change (<c>registry.applied</c>, <c>quay.user_initialized</c>). The
    /// payload is a snapshot taken now, so update the registry first. <paramref name="details"/> adds plain facts (an
    /// organization's name); never a token or password.
    /// </summary>
    public static WebhookEvent AddWebhookEvent(
        this INewRows rows, Registry registry, string type, DateTimeOffset now, IReadOnlyDictionary<string, string>? details = null) =>
        rows.AddWebhookEvent(registry.Tenant, registry.Id, type, now,
            new RegistryEventData(RegistrySnapshot.From(registry), registry.Spec.Ticket, details));

    /// <summary>
    /// The event a state change announces. Applying, Bootstrapping and Deleting are steps, not news: the end of an
    /// apply is announced separately as <c>registry.applied</c>.
    /// </summary>
    private static string? EventTypeFor(RegistryState state) => state switch
    {
        RegistryState.Accepted => WebhookEventTypes.RegistryAccepted,
        RegistryState.Progressing => WebhookEventTypes.RegistryProgressing,
        RegistryState.Available => WebhookEventTypes.RegistryAvailable,
        RegistryState.Ready => WebhookEventTypes.RegistryReady,
        RegistryState.Blocked => WebhookEventTypes.RegistryBlocked,
        RegistryState.Degraded => WebhookEventTypes.RegistryDegraded,
        RegistryState.Failed => WebhookEventTypes.RegistryFailed,
        RegistryState.Deleted => WebhookEventTypes.RegistryDeleted,
        _ => null,
    };

    /// <summary>
    /// Applies a change to the registry and saves it, re-reading the row and re-applying the change when another
    /// writer (the watch, a job) changed it meanwhile. Returns the registry as saved.
    /// </summary>
    public static async Task<Registry> UpdateRegistryAsync(this GatewayDb db, Registry registry, Action<Registry> change, CancellationToken ct)
    {
        await db.SaveWithRetryAsync(async (attempt, ct) =>
        {
            if (attempt > 0)
            {
                registry = await db.Registries.FindAsync([registry.Id], ct) ?? throw new InvalidOperationException($"Registry {registry.Id} vanished.");
            }

            change(registry);
            return true;
        }, ct);
        return registry;
    }
}
