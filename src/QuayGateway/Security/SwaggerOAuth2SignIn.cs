using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace QuayGateway.Security;

/// <summary>
/// With a provider and a Swagger UI client configured, the served document also declares the OAuth2
/// authorization-code scheme (the provider's endpoints from its discovery document), so Authorize signs a person
/// in. Without them (as the committed document is made) it adds nothing.
/// </summary>
internal sealed class SwaggerOAuth2SignIn(
    Microsoft.Extensions.Options.IOptions<AuthOptions> auth,
    Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerOptions> bearer,
    ILogger<SwaggerOAuth2SignIn> logger) : IDocumentFilter
{
    public void Apply(OpenApiDocument document, DocumentFilterContext context)
    {
        if (auth.Value.Provider is not { Authority: not null, SwaggerUiClientId: not null })
        {
            return;
        }

        Microsoft.IdentityModel.Protocols.OpenIdConnect.OpenIdConnectConfiguration discovery;
        try
        {
            // Cached by the bearer handler's configuration manager; fetched once, refreshed as it refreshes.
            var manager = bearer.Get(Microsoft.AspNetCore.Authentication.JwtBearer.JwtBearerDefaults.AuthenticationScheme).ConfigurationManager!;
            discovery = manager.GetConfigurationAsync(CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
        {
            logger.LogWarning(e, "The OIDC provider's discovery document could not be read; Swagger UI offers no sign-in");
            return;
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[OpenApiAuthentication.OAuth2Scheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.OAuth2,
            Description = "Sign in at the OIDC provider (authorization code with PKCE).",
            Flows = new OpenApiOAuthFlows
            {
                AuthorizationCode = new OpenApiOAuthFlow
                {
                    AuthorizationUrl = new Uri(discovery.AuthorizationEndpoint),
                    TokenUrl = new Uri(discovery.TokenEndpoint),
                    Scopes = new Dictionary<string, string>(Scopes.All.Select(s => KeyValuePair.Create(s, $"The gateway's {s} scope")))
                    {
                        ["openid"] = "Sign in",
                    },
                },
            },
        };
        foreach (var operation in (document.Paths ?? []).Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()))
        {
            if (operation.Security is { Count: > 0 } security)
            {
                security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(OpenApiAuthentication.OAuth2Scheme, document)] = ["openid"] });
            }
        }
    }
}
