namespace QuayGateway.Registries.Model;

/// <summary>
/// The summary of the credentials the gateway holds for a registry's Quay, as <c>/status</c> shows it (the same fields
/// as <c>GET /quay/credentials</c>); never the secret.
/// </summary>
/// <param name="Kind">How the token came about: <c>minted</c> (the gateway's durable token), <c>supplied</c> (given through PUT) or <c>initialize</c> (Quay's short-lived first-user token).</param>
/// <param name="Username">The Quay user the token acts as.</param>
/// <param name="Scopes">The OAuth scopes Quay granted the token.</param>
/// <param name="ExpiresAt">When the token expires; null when Quay did not say.</param>
/// <param name="LastUsedAt">When the gateway last called Quay with it.</param>
/// <param name="LastError">Why the last call with it failed; null after a success.</param>
/// <param name="LastErrorAt">When the last call with it failed.</param>
/// <param name="Renewable">Whether the gateway can mint a new token when Quay refuses this one (it holds the user's password).</param>
/// <param name="AutomationOrganization">The Quay organization whose OAuth application minted the token; null for other kinds.</param>
public sealed record RegistryQuayAccess(
    string Kind, string? Username, IReadOnlyList<string> Scopes, DateTimeOffset? ExpiresAt, DateTimeOffset? LastUsedAt, string? LastError,
    DateTimeOffset? LastErrorAt, bool Renewable, string? AutomationOrganization);

/// <summary>Reads <see cref="RegistryQuayAccess"/>; the Quay feature provides it, so the registries know no Quay types.</summary>
public interface IRegistryQuayAccess
{
    Task<RegistryQuayAccess?> ForAsync(Guid registryId, CancellationToken ct);
}
