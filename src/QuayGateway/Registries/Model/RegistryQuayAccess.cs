namespace QuayGateway.Registries.Model;

/// <summary>
/// The summary of the credentials the gateway holds for a registry's Quay, as <c>/status</c> shows it (the same fields
/// as <c>GET /quay/credentials</c>); never the secret.
/// </summary>
/// <param name="Kind">How the token came about: <c>minted</c> (the gateway's durable token), <c>supplied</c> (given through PUT) or <c>initialize</c> (Quay's short-lived first-user token).</param>
/// <param name="Username">The Quay user the token acts as.</param>
/// <param name="Scopes">The token's OAuth scopes. For <c>minted</c> and <c>initialize</c> tokens, what Quay granted. For a <c>supplied</c> token, a verified lower bound: only the scopes Quay's answer to GET /api/v1/user/ with the token proves it holds (see scopesBasis); it may hold more.</param>
/// <param name="ScopesBasis"><c>granted</c>: the scopes Quay granted when the token was made. <c>verified-lower-bound</c>: a supplied token, whose scopes Quay does not disclose; scopes lists those its answers proved.</param>
/// <param name="UnverifiedScopes">For a supplied token, the scopes Quay's answers neither proved nor ruled out (the repository scopes always, since they show only against a repository); empty otherwise.</param>
/// <param name="ExpiresAt">When the token expires; null when it is not known (see expiresAtUnknownReason).</param>
/// <param name="ExpiresAtUnknownReason">Why expiresAt is null; null when it is known. Quay does not tell a token's bearer its expiry, so a supplied token's is never known.</param>
/// <param name="LastUsedAt">When the gateway last called Quay with it.</param>
/// <param name="LastError">Why the last call with it failed; null after a success.</param>
/// <param name="LastErrorAt">When the last call with it failed.</param>
/// <param name="Renewable">Whether the gateway can mint a new token when Quay refuses this one (it holds the user's password).</param>
/// <param name="AutomationOrganization">The Quay organization whose OAuth application minted the token; null for other kinds.</param>
public sealed record RegistryQuayAccess(
    string Kind, string? Username, IReadOnlyList<string> Scopes, string ScopesBasis, IReadOnlyList<string> UnverifiedScopes,
    DateTimeOffset? ExpiresAt, string? ExpiresAtUnknownReason, DateTimeOffset? LastUsedAt, string? LastError,
    DateTimeOffset? LastErrorAt, bool Renewable, string? AutomationOrganization);

/// <summary>Reads <see cref="RegistryQuayAccess"/>; the Quay feature provides it, so the registries know no Quay types.</summary>
public interface IRegistryQuayAccess
{
    Task<RegistryQuayAccess?> ForAsync(Guid registryId, CancellationToken ct);
}
