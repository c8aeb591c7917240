namespace QuayGateway.Registries.Model;

/// <summary>
/// The summary of the credentials the gateway holds for a registry's Quay, as <c>/status</c> shows it (the same fields
/// as <c>GET /quay/credentials</c>); never the secret.
/// </summary>
public sealed record RegistryQuayAccess(
    string Kind, string? Username, IReadOnlyList<string> Scopes, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, string? LastError,
    DateTimeOffset? LastErrorAt, bool Renewable, string? AutomationOrganization);

/// <summary>Reads <see cref="RegistryQuayAccess"/>; the Quay feature provides it, so the registries know no Quay types.</summary>
public interface IRegistryQuayAccess
{
    Task<RegistryQuayAccess?> ForAsync(Guid registryId, CancellationToken ct);
}
