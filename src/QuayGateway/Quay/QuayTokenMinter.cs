using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace QuayGateway.Quay;

/// <summary>A token the gateway minted: the secret (kept only to store it), its expiry and scopes, and the application it belongs to.</summary>
public sealed record MintedQuayToken(string Token, DateTimeOffset ExpiresAt, string Scopes, string Organization, string ClientId, string Path);

/// <summary>Why minting failed: a sentence for the timeline and the initialize answer, and Quay's answer when there was one.</summary>
public sealed record MintFailure(string Reason, QuayAnswer? Answer = null);

/// <summary>
/// Turns short-lived access into a durable Quay token, the way Quay allows it (reference quay-app/NOTES.md):
/// <list type="number">
/// <item>the automation organization (<c>Gateway:Quay:AutomationOrganization</c>) and an OAuth application in it, created
///   when missing, with a bearer token or a signed-in session;</item>
/// <item>on Quay 3.18 and later (<c>status.currentVersion</c>), <c>POST …/applications/{client_id}/tokens</c>; when that
///   answers 404 (an older Quay), or on older versions, <c>GET /csrf_token</c> then <c>POST /oauth/authorizeapp</c> with
///   Basic credentials, reading the token from the 302 <c>Location</c> fragment.</item>
/// </list>
/// Tokens minted for an application last 10 years (<c>DEFAULT_TOKEN_EXPIRATION_SECONDS</c>). Nothing here logs a secret.
/// </summary>
public sealed class QuayTokenMinter(QuayClient quay, IOptions<QuayOptions> options, TimeProvider time, ILogger<QuayTokenMinter> logger)
{
    /// <summary>What user/initialize grants its token (endpoints/web.py); the durable token asks for the same.</summary>
    public const string InitializeScopes = "org:admin repo:admin repo:create repo:read repo:write super:user user:admin user:read";

    public const string ApplicationName = "quaygateway";

    /// <summary>int(60*60*24*365.25*10) s.</summary>
    public static readonly TimeSpan MintedLifetime = TimeSpan.FromSeconds(315576000);

    /// <param name="target">The Quay to call.</param>
    /// <param name="version">Quay's version, which decides the minting route.</param>
    /// <param name="bearer">A token that still works, to create the organization and application; null signs in with the password.</param>
    /// <param name="username">The superuser that owns the automation organization.</param>
    /// <param name="password">The superuser's password, when known.</param>
    /// <param name="scopes">The OAuth scopes the token is granted.</param>
    /// <param name="clientId">The application's client id when already known (a re-mint).</param>
    /// <param name="email">An e-mail for the automation organization (Quay wants one while mailing is on).</param>
    /// <param name="ct">Cancels the calls.</param>
    public async Task<(MintedQuayToken? Token, MintFailure? Failure)> MintAsync(
        QuayTarget target, string? version, string? bearer, string username, string? password, string scopes, string? clientId, string email,
        CancellationToken ct)
    {
        var org = options.Value.AutomationOrganization;
        try
        {
            QuayAuth? auth = bearer is null ? null : QuayAuth.Bearer(bearer);
            if (auth is null)
            {
                if (password is null)
                {
                    return (null, new MintFailure("no working token and no password to sign in with"));
                }

                var (session, signinFailure) = await SignInAsync(target, username, password, ct);
                if (session is null)
                {
                    return (null, signinFailure);
                }

                auth = session;
            }

            if (clientId is null)
            {
                var (found, failure) = await EnsureApplicationAsync(target, auth, org, email, ct);
                if (found is null)
                {
                    return (null, failure);
                }

                clientId = found;
            }

            MintFailure? newer = null;
            if (IsAtLeast318(version))
            {
                var answer = await quay.MintApplicationTokenAsync(target, auth, org, clientId, $"QuayGateway {time.GetUtcNow():yyyy-MM-dd}", scopes, ct);
                if (answer.IsSuccess && (string?)answer.Json?["token"] is { Length: > 0 } token)
                {
                    var expires = DateTimeOffset.TryParse((string?)answer.Json?["expires_at"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
                        ? at
                        : time.GetUtcNow() + MintedLifetime;
                    return (new MintedQuayToken(token, expires, (string?)answer.Json?["scope"] ?? scopes, org, clientId, "application tokens endpoint"), null);
                }

                if (answer.Status != 404)
                {
                    return (null, new MintFailure($"Quay answered {answer.Status} to the application tokens endpoint: {answer.Message}", answer));
                }

                newer = new MintFailure("the application tokens endpoint answered 404", answer);
                logger.LogInformation("Quay at {Host} has no application tokens endpoint; minting through /oauth/authorizeapp", target.Endpoint.Host);
            }

            if (password is null)
            {
                return (null, new MintFailure(newer is null
                    ? $"Quay {version ?? "(version unknown)"} mints only through /oauth/authorizeapp, which needs the user's password, and the gateway does not have it"
                    : $"{newer.Reason}, and /oauth/authorizeapp needs the user's password, which the gateway does not have", newer?.Answer));
            }

            return await AuthorizeAsync(target, username, password, clientId, scopes, org, ct);
        }
        catch (QuayCallException e)
        {
            return (null, new MintFailure(e.Message));
        }
    }

    private static bool IsAtLeast318(string? version) =>
        version is not null && Version.TryParse(version.TrimStart('v'), out var parsed) && parsed >= new Version(3, 18);

    private async Task<(QuayAuth? Session, MintFailure? Failure)> SignInAsync(QuayTarget target, string username, string password, CancellationToken ct)
    {
        var csrf = await quay.GetCsrfTokenAsync(target, cookie: null, ct);
        if (!csrf.IsSuccess || (string?)csrf.Json?["csrf_token"] is not { } csrfToken || csrf.Cookie is null)
        {
            return (null, new MintFailure($"Quay answered {csrf.Status} to /csrf_token: {csrf.Message}", csrf));
        }

        var session = new QuayAuth(null, csrf.Cookie, csrfToken);
        var signin = await quay.SigninAsync(target, session, username, password, ct);
        if (!signin.IsSuccess)
        {
            return (null, new MintFailure($"Quay refused the sign-in of '{username}': {signin.Status} {signin.Message}", signin));
        }

        return (session with { Cookie = signin.Cookie ?? session.Cookie, CsrfToken = signin.NextCsrfToken ?? csrfToken }, null);
    }

    /// <summary>The automation organization and the gateway's application in it: found, or created.</summary>
    private async Task<(string? ClientId, MintFailure? Failure)> EnsureApplicationAsync(QuayTarget target, QuayAuth auth, string org, string email, CancellationToken ct)
    {
        var created = await quay.CreateOrganizationAsync(target, auth, org, email, ct);
        if (!created.IsSuccess && !(created.Status == 400 && created.Message.Contains("already exists", StringComparison.Ordinal)))
        {
            return (null, new MintFailure($"Quay refused to create the automation organization '{org}': {created.Status} {created.Message}", created));
        }

        var listed = await quay.ListApplicationsAsync(target, auth, org, ct);
        if (!listed.IsSuccess)
        {
            return (null, new MintFailure($"Quay refused to list the applications of '{org}': {listed.Status} {listed.Message}", listed));
        }

        if (listed.Json?["applications"] is JsonArray apps
            && apps.FirstOrDefault(a => (string?)a?["name"] == ApplicationName) is { } existing && (string?)existing["client_id"] is { } known)
        {
            return (known, null);
        }

        var application = await quay.CreateApplicationAsync(target, auth, org, ApplicationName, "QuayGateway automation (its API token)", ct);
        return application.IsSuccess && (string?)application.Json?["client_id"] is { } clientId
            ? (clientId, null)
            : (null, new MintFailure($"Quay refused to create the OAuth application in '{org}': {application.Status} {application.Message}", application));
    }

    private async Task<(MintedQuayToken?, MintFailure?)> AuthorizeAsync(
        QuayTarget target, string username, string password, string clientId, string scopes, string org, CancellationToken ct)
    {
        var csrf = await quay.GetCsrfTokenAsync(target, cookie: null, ct);
        if (!csrf.IsSuccess || (string?)csrf.Json?["csrf_token"] is not { } csrfToken || csrf.Cookie is null)
        {
            return (null, new MintFailure($"Quay answered {csrf.Status} to /csrf_token: {csrf.Message}", csrf));
        }

        var answer = await quay.AuthorizeApplicationAsync(target, csrf.Cookie, csrfToken, username, password, clientId, scopes, ct);
        var fragment = answer.Location is { } location && location.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 ? location[(hash + 1)..] : null;
        var values = (fragment ?? "").Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2).ToDictionary(p => p[0], p => Uri.UnescapeDataString(p[1]), StringComparer.Ordinal);
        if (answer.Status == 302 && values.TryGetValue("access_token", out var token) && token.Length > 0)
        {
            var lifetime = values.TryGetValue("expires_in", out var seconds) && long.TryParse(seconds, CultureInfo.InvariantCulture, out var s)
                ? TimeSpan.FromSeconds(s)
                : MintedLifetime;
            return (new MintedQuayToken(token, time.GetUtcNow() + lifetime, scopes, org, clientId, "/oauth/authorizeapp"), null);
        }

        // A 302 without a token carries ?error=… (unauthorized_client, invalid_scope); never echo the Location's secrets.
        var error = answer.Status == 302 && answer.Location is { } l && l.Contains("error=", StringComparison.Ordinal)
            ? "error=" + l[(l.IndexOf("error=", StringComparison.Ordinal) + 6)..].Split('&', '#')[0]
            : $"{answer.Status} {answer.Message}";
        return (null, new MintFailure($"Quay refused /oauth/authorizeapp for '{username}': {error}", answer with { Location = null }));
    }
}
