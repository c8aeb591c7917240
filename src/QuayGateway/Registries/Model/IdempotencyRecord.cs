namespace QuayGateway.Registries.Model;

/// <summary>The first answer to a create that carried an <c>Idempotency-Key</c>, replayed for the same body.</summary>
public sealed class IdempotencyRecord
{
    public required string Tenant { get; init; }
    public required string Key { get; init; }
    public required string RequestHash { get; init; }
    public required Guid RegistryId { get; init; }
    public required string ResponseBody { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}
