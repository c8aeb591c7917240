using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using QuayGateway.Registries.Model;

namespace QuayGateway.Security;

/// <summary>Authenticates <c>X-Api-Key</c>: the bootstrap key from configuration, or a stored key by id and hash.</summary>
internal sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    BootstrapKey bootstrap,
    ApiKeyCache keys)
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

        var presented = values[0]!;
        if (bootstrap.Matches(presented))
        {
            return Success(bootstrap.Principal);
        }

        if (!ApiKeySecrets.TryParse(presented, out var id, out var secret))
        {
            return AuthenticateResult.Fail("Malformed API key.");
        }

        // The database only on a cache miss: most requests never rent a context for authentication.
        var found = await keys.FindAsync(Context.RequestServices, id, Context.RequestAborted);
        if (found is not { Key: var key } || !ApiKeySecrets.Matches(secret, key.SecretHash))
        {
            return AuthenticateResult.Fail("Unknown API key.");
        }

        return key.ExpiresAt is { } expires && expires <= TimeProvider.GetUtcNow()
            ? AuthenticateResult.Fail("Expired API key.")
            : Success(found.Principal);
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
