namespace QuayGateway.Security;

/// <summary>Bearer tokens from an OIDC authority; claims map to a tenant and scopes.</summary>
public sealed class JwtOptions
{
    public string? Authority { get; set; }
    public string? Audience { get; set; }
    public string TenantClaim { get; set; } = "tenant";

    /// <summary>Space-separated scopes, as OAuth's <c>scope</c> claim (or Entra's <c>scp</c>) carries them.</summary>
    public string ScopeClaim { get; set; } = "scope";
    public bool RequireHttpsMetadata { get; set; } = true;
}
