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
    public static bool MoveTo(this GatewayDb db, Registry registry, RegistryState to, string reason, string message, DateTimeOffset now)
    {
        // A new registry's first state is recorded even though it is the default one.
        if (registry.State == to && !db.IsAdded(registry))
        {
            return false;
        }

        registry.State = to;
        registry.UpdatedAt = now;
        db.AddNew(new RegistryEvent
        {
            RegistryId = registry.Id, At = now, Type = "StateChanged", State = to, Reason = reason, Message = message,
        });
        if (WebhookEventTypes.ForState(to) is { } eventType)
        {
            db.AddWebhookEvent(registry, eventType, now);
        }

        return true;
    }

    /// <summary>A timeline entry that is not a state change: a condition transition, a drift, a bootstrap step.</summary>
    public static void Record(this GatewayDb db, Registry registry, string type, string reason, string message, DateTimeOffset now) =>
        db.AddNew(new RegistryEvent
        {
            RegistryId = registry.Id, At = now, Type = type, State = registry.State, Reason = reason, Message = message,
        });

    /// <summary>
    /// Applies a change to the registry and saves it, re-reading the row and re-applying the change when another
    /// writer (the watch, a job) changed it meanwhile. Returns the registry as saved.
    /// </summary>
    public static async Task<Registry> UpdateRegistryAsync(this GatewayDb db, Registry registry, Action<Registry> change, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            change(registry);
            try
            {
                await db.SaveChangesAsync(ct);
                return registry;
            }
            catch (Microsoft.EntityFrameworkCore.DbUpdateConcurrencyException) when (attempt < 5)
            {
                db.ChangeTracker.Clear();
                registry = await db.Registries.FindAsync([registry.Id], ct) ?? throw new InvalidOperationException($"Registry {registry.Id} vanished.");
            }
        }
    }
}
