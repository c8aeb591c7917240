using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace QuayGateway.Security;

/// <summary>Authenticates <c>X-Api-Key</c>: the bootstrap key from configuration, or a stored key by id and hash.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    BootstrapKey bootstrap,
    ApiKeyCache keys,
    IOptions<AuthOptions> auth)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "ApiKey";
    public const string Header = "X-Api-Key";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Request.Headers.TryGetValue(Header, out var values) || values.Count != 1 || string.IsNullOrEmpty(values[0]))
        {
            return AuthenticateResult.NoResult();
        }

        var (principal, error) = await ValidateAsync(Context, values[0]!, bootstrap, keys, TimeProvider);
        return principal is not null ? Success(principal) : AuthenticateResult.Fail(error!);
    }

    /// <summary>A 401 that names the credentials the gateway takes (RFC 9110 requires the header on every 401).</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Unauthorized(Context, auth.Value);
        return Task.CompletedTask;
    }

    /// <summary>Answers 401 with <c>WWW-Authenticate</c> for the API key, and for bearer tokens when a provider is configured.</summary>
    public static void Unauthorized(HttpContext context, AuthOptions auth)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.Append(HeaderNames.WWWAuthenticate, $"ApiKey realm=\"QuayGateway\", header=\"{Header}\"");
        if (auth.Provider.Authority is not null)
        {
            context.Response.Headers.Append(HeaderNames.WWWAuthenticate, "Bearer realm=\"QuayGateway\"");
        }
    }

    /// <summary>Who <paramref name="presented"/> is: the bootstrap key or a stored, unexpired key; null for anything else.</summary>
    public static async Task<(ClaimsPrincipal? Principal, string? Error)> ValidateAsync(
        HttpContext context, string presented, BootstrapKey bootstrap, ApiKeyCache keys, TimeProvider time)
    {
        if (bootstrap.Matches(presented))
        {
            return (bootstrap.Principal, null);
        }

        if (!ApiKeySecrets.TryParse(presented, out var id, out var secret))
        {
            return (null, "Malformed API key.");
        }

        // The database only on a cache miss: most requests never rent a context for authentication.
        var found = await keys.FindAsync(context.RequestServices, id, context.RequestAborted);
        if (found is not { Key: var key } || !ApiKeySecrets.Matches(secret, key.SecretHash))
        {
            return (null, "Unknown API key.");
        }

        return key.ExpiresAt is { } expires && expires <= time.GetUtcNow()
            ? (null, "Expired API key.")
            : (found.Principal, null);
    }

    /// <summary>The claims of a key: built once per key (and kept with it in the cache), never changed afterwards.</summary>
    public static ClaimsPrincipal PrincipalFor(string keyId, string tenant, IEnumerable<string> scopes)
    {
        var claims = new List<Claim> { new(ClaimTypes.NameIdentifier, keyId), new(Scopes.TenantClaim, tenant) };
        claims.AddRange(scopes.Select(s => new Claim(Scopes.ScopeClaim, s)));
        return new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName));
    }

    private static AuthenticateResult Success(ClaimsPrincipal principal) =>
        AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
}
