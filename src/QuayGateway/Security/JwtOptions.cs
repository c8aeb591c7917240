namespace QuayGateway.Security;

/// <summary>
/// Bearer tokens from an OIDC authority. The tenant and the scopes come only from the two claims named here; no other
/// claim of the token (<c>tenant</c>, <c>scope</c>, <c>scp</c>) is consulted.
/// </summary>
public sealed class JwtOptions
{
    public string? Authority { get; set; }
    public string? Audience { get; set; }
    public string TenantClaim { get; set; } = "tenant";

    /// <summary>Space-separated scopes, as OAuth's <c>scope</c> claim carries them (set <c>scp</c> for Entra ID).</summary>
    public string ScopeClaim { get; set; } = "scope";
    public bool RequireHttpsMetadata { get; set; } = true;
}
