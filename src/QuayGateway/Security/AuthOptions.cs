namespace QuayGateway.Security;

public sealed class AuthOptions
{
    public const string Section = "Gateway:Auth";

    /// <summary>An admin key for tenant <c>default</c>. In Development a key is generated and printed when unset.</summary>
    public string? BootstrapApiKey { get; set; }

    /// <summary>Serve Swagger UI and the OpenAPI document without authentication (the default).</summary>
    public bool PublicApiDocs { get; set; } = true;

    public JwtOptions Jwt { get; set; } = new();
}

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
