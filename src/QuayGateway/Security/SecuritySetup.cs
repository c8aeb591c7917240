using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;

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
            Console.WriteLine($"Development bootstrap admin API key (tenant '{BootstrapKey.Tenant}'; set {AuthOptions.Section}:BootstrapApiKey to fix it):");
            Console.WriteLine($"  X-Api-Key: {auth.BootstrapApiKey}");
        }

        builder.Services.AddSingleton(new BootstrapKey(auth.BootstrapApiKey));
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<ApiKeyCache>();

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

    /// <summary>Turns the token's tenant claim and space-separated scopes into the gateway's claims.</summary>
    private static Task MapJwtClaims(TokenValidatedContext context, JwtOptions jwt)
    {
        var principal = context.Principal!;
        var tenant = principal.FindFirstValue(jwt.TenantClaim);
        if (string.IsNullOrEmpty(tenant))
        {
            context.Fail($"The token has no '{jwt.TenantClaim}' claim.");
            return Task.CompletedTask;
        }

        var scopes = principal.FindAll(jwt.ScopeClaim).Concat(principal.FindAll("scp"))
            .SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(Scopes.All.Contains)
            .Distinct();
        var identity = new ClaimsIdentity(JwtBearerDefaults.AuthenticationScheme);
        identity.AddClaim(new Claim(Scopes.TenantClaim, tenant));
        identity.AddClaims(scopes.Select(s => new Claim(Scopes.ScopeClaim, s)));
        principal.AddIdentity(identity);
        return Task.CompletedTask;
    }
}
