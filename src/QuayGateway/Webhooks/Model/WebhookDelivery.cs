using QuayGateway.Persistence;

namespace QuayGateway.Webhooks.Model;

/// <summary>One event to one subscription, with every attempt made to deliver it.</summary>
public sealed class WebhookDelivery
{
    public Guid Id { get; init; } = Uuid7.New();
    public Guid SubscriptionId { get; init; }
    public long EventId { get; init; }
    public WebhookEvent Event { get; init; } = null!;

    /// <summary>Deliveries with the same subscription and key go out one at a time in event order: the registry id, else the delivery's own id.</summary>
    public Guid OrderingKey { get; init; }

    /// <summary>The <c>webhook-id</c> header: the same on every retry and on a manual redelivery, so receivers can deduplicate.</summary>
    public required string MessageId { get; init; }

    public Guid? RedeliveryOf { get; init; }
    public DeliveryStatus Status { get; set; } = DeliveryStatus.Pending;
    public int AttemptCount { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? CompletedAt { get; set; }
    public List<WebhookAttempt> Attempts { get; init; } = [];

    public static string NewMessageId() => "msg_" + Uuid7.New().ToString("N");
}

public enum DeliveryStatus
{
    Pending,
    Succeeded,
    Failed,
}

/// <summary>One HTTP attempt: when, the receiver's status code (none when it was not reached), how long, and what went wrong.</summary>
public sealed class WebhookAttempt
{
    public long Id { get; init; }
    public Guid DeliveryId { get; init; }
    public DateTimeOffset At { get; init; }
    public int? StatusCode { get; init; }
    public int DurationMs { get; init; }
    public string? Error { get; init; }
}

/// <summary>The ServiceNow record (sys_id) a subscription keeps for a registry, so later events update the same record.</summary>
public sealed class WebhookTicketLink
{
    public Guid SubscriptionId { get; init; }
    public Guid RegistryId { get; init; }
    public required string ExternalId { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}
