using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using QuayGateway.Persistence;

namespace QuayGateway.Security;

public static class SecuritySetup
{
    private const string SelectorScheme = "Gateway";

    public static WebApplicationBuilder AddGatewaySecurity(this WebApplicationBuilder builder)
    {
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
        builder.Services.AddDatabaseNotificationHandler<ApiKeyRevocations>();

        // API keys only, unless bearer tokens are configured: then a selector picks the scheme per request. Without
        // tokens the selector would only cost a second handler on every request.
        var authentication = builder.Services
            .AddAuthentication(auth.Jwt.Authority is null ? ApiKeyAuthenticationHandler.SchemeName : SelectorScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);

        if (auth.Jwt.Authority is not null)
        {
            authentication.AddPolicyScheme(SelectorScheme, "API key or bearer token", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey(ApiKeyAuthenticationHandler.Header)
                    ? ApiKeyAuthenticationHandler.SchemeName
                    : JwtBearerDefaults.AuthenticationScheme);
            authentication.AddJwtBearer(o =>
            {
                o.Authority = auth.Jwt.Authority;
                o.Audience = auth.Jwt.Audience;
                o.RequireHttpsMetadata = auth.Jwt.RequireHttpsMetadata;
                o.MapInboundClaims = false;
                o.Events = new JwtBearerEvents { OnTokenValidated = context => MapJwtClaims(context, auth.Jwt) };
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

    /// <summary>
    /// Turns the token into the gateway's claims: the tenant from <see cref="JwtOptions.TenantClaim"/> and the
    /// space-separated scopes from <see cref="JwtOptions.ScopeClaim"/>, and nothing else. The token's own claims are
    /// dropped, so a <c>tenant</c>, <c>scope</c> or <c>scp</c> claim the configuration does not name never counts.
    /// </summary>
    private static Task MapJwtClaims(TokenValidatedContext context, JwtOptions jwt)
    {
        var token = context.Principal!;
        var tenants = token.FindAll(jwt.TenantClaim).Select(c => c.Value).Distinct().ToList();
        if (tenants is not [var tenant] || string.IsNullOrEmpty(tenant))
        {
            context.Fail($"The token needs exactly one '{jwt.TenantClaim}' claim.");
            return Task.CompletedTask;
        }

        var scopes = token.FindAll(jwt.ScopeClaim)
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(Scopes.All.Contains)
            .Distinct();
        var identity = new ClaimsIdentity(JwtBearerDefaults.AuthenticationScheme);
        if (token.FindFirstValue("sub") is { } subject)
        {
            identity.AddClaim(new Claim(ClaimTypes.NameIdentifier, subject));
        }

        identity.AddClaim(new Claim(Scopes.TenantClaim, tenant));
        identity.AddClaims(scopes.Select(s => new Claim(Scopes.ScopeClaim, s)));
        context.Principal = new ClaimsPrincipal(identity);
        return Task.CompletedTask;
    }
}
