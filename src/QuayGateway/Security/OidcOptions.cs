namespace QuayGateway.Security;

/// <summary>
/// An OpenID Connect provider (<c>Gateway:Auth:Oidc</c>): its bearer tokens are accepted, people sign in through it
/// (<c>/signin</c>, with <see cref="ClientId"/>), and Swagger UI signs in through it (<see cref="SwaggerUiClientId"/>).
/// The tenant and the scopes come only from the two claims named here; no other claim of a token (<c>tenant</c>,
/// <c>scope</c>, <c>scp</c>) is consulted.
/// </summary>
public sealed class OidcOptions
{
    public string? Authority { get; set; }
    public string? Audience { get; set; }

    /// <summary>The gateway's own client for the sign-in of people (authorization code with PKCE); unset: no OIDC sign-in.</summary>
    public string? ClientId { get; set; }
    public string? ClientSecret { get; set; }

    /// <summary>A public client (no secret) Swagger UI signs in with; unset: the OAuth2 scheme is not offered.</summary>
    public string? SwaggerUiClientId { get; set; }

    public string TenantClaim { get; set; } = "tenant";

    /// <summary>Space-separated scopes, as OAuth's <c>scope</c> claim carries them (set <c>scp</c> for Entra ID).</summary>
    public string ScopeClaim { get; set; } = "scope";

    /// <summary>The scopes the sign-in asks for (space-separated).</summary>
    public string SignInScopes { get; set; } = "openid";

    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>How far a token's lifetime may be off the gateway's clock.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);
}
