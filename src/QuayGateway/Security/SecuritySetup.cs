using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Authorization;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.Net.Http.Headers;
using Swashbuckle.AspNetCore.SwaggerUI;
using QuayGateway.Hosting;
using QuayGateway.Persistence;

namespace QuayGateway.Security;

public static class SecuritySetup
{
    private const string SelectorScheme = "Gateway";

    public static WebApplicationBuilder AddGatewaySecurity(this WebApplicationBuilder builder)
    {
        builder.DocumentValues<CreateApiKeyRequest>(nameof(CreateApiKeyRequest.Scopes), Scopes.All)
            .DocumentValues<ApiKeyResponse>(nameof(ApiKeyResponse.Scopes), Scopes.All)
            .DocumentValues<CreatedApiKeyResponse>(nameof(CreatedApiKeyResponse.Scopes), Scopes.All)
            .DocumentApiKeyExamples();
        builder.Services.ConfigureSwaggerGen(OpenApiAuthentication.Declare);
        var section = builder.Configuration.GetSection(AuthOptions.Section);
        builder.Services.Configure<AuthOptions>(section);
        var auth = section.Get<AuthOptions>() ?? new AuthOptions();

        if (string.IsNullOrEmpty(auth.BootstrapApiKey) && builder.Environment.IsDevelopment())
        {
            auth.BootstrapApiKey = ApiKeySecrets.NewKey().Key;
            // Printed, not logged: the key must not end up in a log pipeline.
            Console.WriteLine($"Development bootstrap platform:admin API key (tenant '{BootstrapKey.Tenant}'; set {AuthOptions.Section}:BootstrapApiKey to fix it):");
            Console.WriteLine($"  X-Api-Key: {auth.BootstrapApiKey}");
        }

        builder.Services.AddSingleton(new BootstrapKey(auth.BootstrapApiKey));
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<ApiKeyCache>();
        builder.Services.AddSingleton<SessionIdTokens>();
        builder.Services.AddDatabaseNotificationHandler<ApiKeyRevocations>();

        builder.Services.AddAntiforgery(o => o.Cookie.Name = "QuayGateway.Antiforgery");

        // A selector picks the scheme per request: the API key header, a bearer token (with a provider configured),
        // or the session cookie (reads and the dashboard only; see SessionAuthenticationHandler).
        var oidc = auth.Provider;
        var authentication = builder.Services
            .AddAuthentication(SelectorScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null)
            .AddScheme<AuthenticationSchemeOptions, SessionAuthenticationHandler>(SessionAuthenticationHandler.SchemeName, null)
            .AddPolicyScheme(SelectorScheme, "API key, bearer token or session", o => o.ForwardDefaultSelector = context => Select(context, oidc));

        if (oidc.Authority is not null)
        {
            authentication.AddJwtBearer(o =>
            {
                o.Authority = oidc.Authority;
                o.Audience = oidc.Audience;
                o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
                o.MapInboundClaims = false;
                o.TokenValidationParameters.ClockSkew = oidc.ClockSkew;
                o.Events = new JwtBearerEvents
                {
                    OnTokenValidated = context => MapJwtClaims(context, oidc),
                    // The body is the gateway's 401 problem (status code pages); the header names both credentials.
                    OnChallenge = context =>
                    {
                        context.Response.Headers.Append(HeaderNames.WWWAuthenticate, $"ApiKey realm=\"QuayGateway\", header=\"{ApiKeyAuthenticationHandler.Header}\"");
                        return Task.CompletedTask;
                    },
                };
            });
        }

        if (oidc is { Authority: not null, ClientId: not null })
        {
            authentication.AddOpenIdConnect(o =>
            {
                o.Authority = oidc.Authority;
                o.ClientId = oidc.ClientId;
                o.ClientSecret = oidc.ClientSecret;
                o.RequireHttpsMetadata = oidc.RequireHttpsMetadata;
                o.ResponseType = OpenIdConnectResponseType.Code;
                // The code comes back on a redirect (GET), which the Lax session and correlation cookies survive.
                o.ResponseMode = OpenIdConnectResponseMode.Query;
                o.UsePkce = true;
                o.MapInboundClaims = false;
                o.SaveTokens = false;
                o.SignInScheme = SessionAuthenticationHandler.SchemeName;
                o.CallbackPath = "/signin-oidc";
                // RP-initiated logout: the provider sends the browser back here, and the handler on to /signed-out.
                o.SignedOutCallbackPath = SignInApi.SignedOutCallbackPath;
                o.SignedOutRedirectUri = SignInApi.SignedOutPath;
                o.TokenValidationParameters.ClockSkew = oidc.ClockSkew;
                o.Scope.Clear();
                foreach (var scope in oidc.SignInScopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    o.Scope.Add(scope);
                }

                o.Events = new OpenIdConnectEvents
                {
                    OnTokenValidated = context =>
                    {
                        var (principal, error) = MapClaims(context.Principal!, oidc, OpenIdConnectDefaults.AuthenticationScheme);
                        if (principal is null)
                        {
                            context.Fail(error!);
                        }
                        else
                        {
                            context.Principal = principal;
                            // Only the ID token goes on to the session (encrypted there), for sign-out's id_token_hint;
                            // SaveTokens stays off, so the access token is kept nowhere.
                            if ((context.TokenEndpointResponse?.IdToken ?? context.ProtocolMessage?.IdToken) is { Length: > 0 } idToken)
                            {
                                context.Properties!.StoreTokens([new AuthenticationToken { Name = SessionAuthenticationHandler.IdTokenName, Value = idToken }]);
                            }
                        }

                        return Task.CompletedTask;
                    },
                    // The session row is already gone when the handler builds the logout request, so /signout hands the
                    // hint over in the request's items (not the properties: those travel, encrypted, in the state).
                    OnRedirectToIdentityProviderForSignOut = context =>
                    {
                        if (context.HttpContext.Items[SignInApi.IdTokenHintItem] is string hint)
                        {
                            context.ProtocolMessage.IdTokenHint = hint;
                        }

                        return Task.CompletedTask;
                    },
                    // A refused sign-in is a page for the person, not an exception.
                    OnRemoteFailure = async context =>
                    {
                        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                        context.Response.ContentType = "text/html; charset=utf-8";
                        await context.Response.WriteAsync(SignInPages.Page("Sign-in failed",
                            "<h1>Sign-in failed</h1><p>" + System.Net.WebUtility.HtmlEncode(context.Failure?.Message ?? "The provider refused the sign-in.") +
                            "</p><p><a href=\"/signin\">Try again</a></p>"));
                        context.HandleResponse();
                    },
                };
            });
        }

        if (oidc is { Authority: not null, SwaggerUiClientId: { } swaggerClient })
        {
            builder.Services.ConfigureSwaggerGen(o => o.DocumentFilter<SwaggerOAuth2SignIn>());
            // Authorize in Swagger UI signs a person in at the provider (a public client: PKCE, no secret).
            builder.Services.Configure<SwaggerUIOptions>(o =>
            {
                o.OAuthClientId(swaggerClient);
                o.OAuthUsePkce();
                o.OAuthScopes("openid");
            });
        }

        builder.Services.AddAuthorizationBuilder()
            // Everything needs a caller unless it opts out (health, metrics, API docs).
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddScopePolicies();
        return builder;
    }

    private static AuthorizationBuilder AddScopePolicies(this AuthorizationBuilder builder)
    {
        foreach (var scope in Scopes.All)
        {
            builder.AddPolicy(scope, p => p.RequireAuthenticatedUser().RequireAssertion(c => c.User.HasScope(scope)));
        }

        if (!Scopes.All.Contains(Scopes.PlatformAdmin))
        {
            builder.AddPolicy(Scopes.PlatformAdmin, p => p.RequireAuthenticatedUser().RequireClaim(Scopes.ScopeClaim, Scopes.PlatformAdmin));
        }

        return builder;
    }

    /// <summary>Which scheme authenticates (and challenges) the request.</summary>
    private static string Select(HttpContext context, OidcOptions oidc)
    {
        var request = context.Request;
        if (request.Headers.ContainsKey(ApiKeyAuthenticationHandler.Header))
        {
            return ApiKeyAuthenticationHandler.SchemeName;
        }

        if (oidc.Authority is not null
            && request.Headers.Authorization.Any(a => a?.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) == true))
        {
            return JwtBearerDefaults.AuthenticationScheme;
        }

        return SessionAuthenticationHandler.IsBrowserPage(request)
               || (SessionAuthenticationHandler.Applies(request) && request.Cookies.ContainsKey(SessionAuthenticationHandler.CookieName))
            ? SessionAuthenticationHandler.SchemeName
            : ApiKeyAuthenticationHandler.SchemeName;
    }

    private static Task MapJwtClaims(Microsoft.AspNetCore.Authentication.JwtBearer.TokenValidatedContext context, OidcOptions oidc)
    {
        var (principal, error) = MapClaims(context.Principal!, oidc, JwtBearerDefaults.AuthenticationScheme);
        if (principal is null)
        {
            context.Fail(error!);
        }
        else
        {
            context.Principal = principal;
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Turns a token into the gateway's claims: the tenant from <see cref="OidcOptions.TenantClaim"/> and the
    /// space-separated scopes from <see cref="OidcOptions.ScopeClaim"/>, and nothing else. The token's own claims are
    /// dropped, so a <c>tenant</c>, <c>scope</c> or <c>scp</c> claim the configuration does not name never counts.
    /// </summary>
    public static (ClaimsPrincipal? Principal, string? Error) MapClaims(ClaimsPrincipal token, OidcOptions oidc, string scheme)
    {
        var tenants = token.FindAll(oidc.TenantClaim).Select(c => c.Value).Distinct().ToList();
        if (tenants is not [var tenant] || !Scopes.IsValidTenant(tenant))
        {
            return (null, $"The token needs exactly one '{oidc.TenantClaim}' claim naming a tenant.");
        }

        var scopes = token.FindAll(oidc.ScopeClaim)
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(Scopes.All.Contains)
            .Distinct();
        var identity = new ClaimsIdentity(scheme);
        if (token.FindFirstValue("sub") is { } subject)
        {
            identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, subject));
        }

        identity.AddClaim(new Claim(Scopes.TenantClaim, tenant));
        identity.AddClaims(scopes.Select(s => new Claim(Scopes.ScopeClaim, s)));
        return (new ClaimsPrincipal(identity), null);
    }
}
