namespace QuayGateway.Webhooks.Model;

/// <summary>
/// The transactional outbox: one row per event, written in the same unit of work as the change it announces.
/// The dispatcher fans it out to the matching subscriptions as deliveries.
/// </summary>
public sealed class WebhookEvent
{
    /// <summary>Identity; per registry it follows commit order (registry changes are serialised by its row version).</summary>
    public long Id { get; init; }

    /// <summary>The payload's <c>id</c> (<c>evt_…</c>).</summary>
    public required string EventId { get; init; }
    public required string Tenant { get; init; }
    public Guid? RegistryId { get; init; }
    public required string Type { get; init; }
    public DateTimeOffset OccurredAt { get; init; }

    /// <summary>The exact JSON body that is sent and signed.</summary>
    public required string Payload { get; init; }

    /// <summary>Set once the event's deliveries exist; null means the dispatcher still has to fan it out.</summary>
    public DateTimeOffset? DispatchedAt { get; set; }
}
