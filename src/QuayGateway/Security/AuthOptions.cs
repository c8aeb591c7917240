namespace QuayGateway.Security;

public sealed class AuthOptions
{
    public const string Section = "Gateway:Auth";

    /// <summary>A <c>platform:admin</c> key for tenant <c>default</c>. In Development a key is generated and printed when unset.</summary>
    public string? BootstrapApiKey { get; set; }

    /// <summary>Serve Swagger UI and the OpenAPI document without authentication (the default); false serves neither.</summary>
    public bool PublicApiDocs { get; set; } = true;

    public JwtOptions Jwt { get; set; } = new();
}
