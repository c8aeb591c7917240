using System.Net;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuayGateway.Persistence;

namespace QuayGateway.Security;

/// <summary>
/// The browser session: an HttpOnly, SameSite=Lax cookie (<see cref="CookieName"/>) holding a random token whose hash
/// names a row of <c>browser_sessions</c>. It authenticates reads (GET and HEAD: the API's reads, event streams) and
/// the dashboard, never an API write: a cookie rides along on cross-site requests, a header credential does not.
/// Signing in (<see cref="HandleSignInAsync"/>) is how both the key form and the OIDC code flow end.
/// </summary>
internal sealed class SessionAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory loggerFactory,
    UrlEncoder encoder,
    IOptions<AuthOptions> auth,
    IHostEnvironment environment,
    BootstrapKey bootstrap,
    SessionIdTokens idTokens)
    : SignInAuthenticationHandler<AuthenticationSchemeOptions>(options, loggerFactory, encoder)
{
    public const string SchemeName = "Session";
    public const string CookieName = "QuayGateway.Session";

    /// <summary>The session's id on its principal: the lowercase hex of the token's hash (what the database keeps).</summary>
    public const string SessionClaim = "qg_session";

    /// <summary>When the session ends, on its principal: Unix milliseconds (long event streams end themselves then).</summary>
    public const string ExpiresClaim = "qg_session_expires";

    /// <summary>Where a person signs in.</summary>
    public const string SignInPath = "/signin";

    /// <summary>The dashboard's path: there the cookie also authenticates the dashboard's own (antiforgery-checked) actions.</summary>
    public const string DashboardPath = "/hangfire";

    /// <summary>The name under which the OIDC sign-in hands the ID token over in the sign-in's properties.</summary>
    public const string IdTokenName = "id_token";

    /// <summary>Whether a cookie may authenticate this request at all.</summary>
    public static bool Applies(HttpRequest request) =>
        HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || request.Path.StartsWithSegments(DashboardPath);

    /// <summary>A browser navigating to a page of its own (the dashboard): answered with redirects and pages, not problems.</summary>
    public static bool IsBrowserPage(HttpRequest request) =>
        request.Path.StartsWithSegments(DashboardPath)
        && request.Headers.Accept.Any(a => a?.Contains("text/html", StringComparison.OrdinalIgnoreCase) == true);

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!Applies(Request) || Request.Cookies[CookieName] is not { Length: > 0 } token)
        {
            return AuthenticateResult.NoResult();
        }

        var hash = Hash(token);
        var now = TimeProvider.GetUtcNow();
        var db = Context.RequestServices.GetRequiredService<GatewayDb>();
        var session = await db.BrowserSessions.AsNoTracking()
            .FirstOrDefaultAsync(s => s.TokenHash == hash && s.ExpiresAt > now, Context.RequestAborted);
        if (session is null)
        {
            return AuthenticateResult.Fail("The session has ended; sign in again.");
        }

        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, session.Subject),
            new(Scopes.TenantClaim, session.Tenant),
            new(SessionClaim, Convert.ToHexStringLower(hash)),
            new(ExpiresClaim, session.ExpiresAt.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        };
        claims.AddRange(session.Scopes.Select(s => new Claim(Scopes.ScopeClaim, s)));
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity(claims, SchemeName)), SchemeName));
    }

    protected override async Task HandleSignInAsync(ClaimsPrincipal user, AuthenticationProperties? properties)
    {
        var tenant = user.FindFirstValue(Scopes.TenantClaim) ?? throw new InvalidOperationException("A session needs a tenant.");
        var subject = user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "unknown";
        var keyId = user.Identity?.AuthenticationType == ApiKeyAuthenticationHandler.SchemeName
                    && subject != bootstrap.Principal.FindFirstValue(ClaimTypes.NameIdentifier)
            ? subject
            : null;
        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var now = TimeProvider.GetUtcNow();
        var db = Context.RequestServices.GetRequiredService<GatewayDb>();
        var session = new BrowserSession
        {
            TokenHash = Hash(token),
            Tenant = tenant,
            Scopes = [.. user.FindAll(Scopes.ScopeClaim).Select(c => c.Value).Distinct()],
            Subject = subject.Length > 200 ? subject[..200] : subject,
            ApiKeyId = keyId,
            // Only the OIDC sign-in hands over an ID token (SecuritySetup); it is kept for the provider's sign-out.
            ProtectedIdToken = properties?.GetTokenValue(IdTokenName) is { Length: > 0 } idToken ? idTokens.Protect(idToken) : null,
            CreatedAt = now,
            ExpiresAt = now + auth.Value.SessionLifetime,
        };
        db.BrowserSessions.Add(session);
        // Expired sessions go whenever someone signs in, and with the retention job; the index on expires_at keeps that cheap.
        await db.BrowserSessions.Where(s => s.ExpiresAt <= now).ExecuteDeleteAsync(Context.RequestAborted);
        await db.SaveChangesAsync(Context.RequestAborted);
        Response.Cookies.Append(CookieName, token, CookieOptions(session.ExpiresAt));
        if (properties?.RedirectUri is { } redirect)
        {
            Response.Redirect(redirect);
        }
    }

    /// <summary>
    /// The encrypted ID token of the session this request's cookie names, if that session is live: read before the
    /// sign-out deletes the row, so <c>/signout</c> can send the provider its <c>id_token_hint</c>.
    /// </summary>
    public static async Task<string?> FindProtectedIdTokenAsync(HttpContext context, TimeProvider time)
    {
        if (context.Request.Cookies[CookieName] is not { Length: > 0 } token)
        {
            return null;
        }

        var hash = Hash(token);
        var now = time.GetUtcNow();
        var db = context.RequestServices.GetRequiredService<GatewayDb>();
        return await db.BrowserSessions.AsNoTracking()
            .Where(s => s.TokenHash == hash && s.ExpiresAt > now)
            .Select(s => s.ProtectedIdToken)
            .FirstOrDefaultAsync(context.RequestAborted);
    }

    protected override async Task HandleSignOutAsync(AuthenticationProperties? properties)
    {
        if (Request.Cookies[CookieName] is { Length: > 0 } token)
        {
            var hash = Hash(token);
            var db = Context.RequestServices.GetRequiredService<GatewayDb>();
            await db.BrowserSessions.Where(s => s.TokenHash == hash).ExecuteDeleteAsync(Context.RequestAborted);
        }

        Response.Cookies.Delete(CookieName, CookieOptions(null));
    }

    /// <summary>The dashboard sends a browser to sign in and back; everyone else gets the API's 401 problem.</summary>
    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        if (IsBrowserPage(Request))
        {
            var back = Request.PathBase + Request.Path + Request.QueryString;
            Response.Redirect($"{Request.PathBase}{SignInPath}?returnUrl={Uri.EscapeDataString(back)}");
            return Task.CompletedTask;
        }

        ApiKeyAuthenticationHandler.Unauthorized(Context, auth.Value);
        return Task.CompletedTask;
    }

    /// <summary>A person without the dashboard's scope gets a page that says so; an API client a 403 problem.</summary>
    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        if (IsBrowserPage(Request))
        {
            var who = WebUtility.HtmlEncode(Context.User.FindFirstValue(ClaimTypes.NameIdentifier) ?? "you");
            Response.ContentType = "text/html; charset=utf-8";
            await Response.WriteAsync(SignInPages.Page("Forbidden",
                $"<h1>403 Forbidden</h1><p>The job dashboard is for platform admins; {who} is signed in without <code>platform:admin</code>.</p>" +
                $"<form method=\"post\" action=\"{Request.PathBase}/signout\"><button type=\"submit\">Sign out</button></form>"));
        }
    }

    private CookieOptions CookieOptions(DateTimeOffset? expires) => new()
    {
        HttpOnly = true,
        // Secure outside Development; in Development the gateway often runs on plain http://localhost.
        Secure = !environment.IsDevelopment() || Request.IsHttps,
        SameSite = SameSiteMode.Lax,
        Path = "/",
        IsEssential = true,
        Expires = expires,
    };
}
