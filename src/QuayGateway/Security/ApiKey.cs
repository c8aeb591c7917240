namespace QuayGateway.Security;

/// <summary>An API key: the public id plus a SHA-256 hash of the secret part. The secret itself is never stored.</summary>
public sealed class ApiKey
{
    public required string Id { get; init; }
    public required string Tenant { get; init; }
    public required string Name { get; init; }
    public required string[] Scopes { get; init; }
    public required byte[] SecretHash { get; init; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset? ExpiresAt { get; init; }
}
