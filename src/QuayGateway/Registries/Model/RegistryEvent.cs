namespace QuayGateway.Registries.Model;

/// <summary>One entry of a registry's timeline: a state change, a condition transition, a drift or a step.</summary>
public sealed class RegistryEvent
{
    public long Id { get; init; }
    public Guid RegistryId { get; init; }
    public DateTimeOffset At { get; init; } = DateTimeOffset.UtcNow;
    public required TimelineEntryType Type { get; init; }
    public RegistryState State { get; init; }
    public string? Reason { get; init; }
    public string? Message { get; init; }
}
