namespace QuayGateway.Security;

public sealed class AuthOptions
{
    public const string Section = "Gateway:Auth";

    /// <summary>A <c>platform:admin</c> key for tenant <c>default</c>. In Development a key is generated and printed when unset.</summary>
    public string? BootstrapApiKey { get; set; }

    /// <summary>The OIDC provider: bearer tokens, the sign-in of people, Swagger UI's sign-in.</summary>
    public OidcOptions Oidc { get; set; } = new();

    /// <summary>The earlier name of <see cref="Oidc"/> (bearer tokens only); used when <c>Oidc:Authority</c> is unset.</summary>
    public OidcOptions Jwt { get; set; } = new();

    /// <summary>Offer a sign-in form that takes an API key (on in Development).</summary>
    public bool? ApiKeySignIn { get; set; }

    /// <summary>How long a browser session lasts after sign-in; it is not extended by use.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromHours(8);

    /// <summary>The provider in effect: <see cref="Oidc"/>, or the older <see cref="Jwt"/> section.</summary>
    public OidcOptions Provider => Oidc.Authority is not null ? Oidc : Jwt;
}
