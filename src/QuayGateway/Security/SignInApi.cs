using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using QuayGateway.Hosting;

namespace QuayGateway.Security;

/// <summary>
/// <c>/signin</c> and <c>/signout</c> for people in browsers. With an OIDC client configured, sign-in is the provider's
/// authorization-code flow (with PKCE); otherwise, in Development or with <c>Gateway:Auth:ApiKeySignIn</c>, a form that
/// takes an API key (antiforgery-checked). Either way the result is the session cookie.
/// </summary>
public static class SignInApi
{
    public static IEndpointRouteBuilder MapSignIn(this IEndpointRouteBuilder app)
    {
        app.MapGet(SessionAuthenticationHandler.SignInPath, SignIn).AllowAnonymous().ExcludeFromDescription();
        app.MapPost(SessionAuthenticationHandler.SignInPath, SignInWithKeyAsync).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
        app.MapPost("/signout", SignOutAsync).AllowAnonymous().ExcludeFromDescription().DisableAntiforgery();
        app.MapGet(SignedOutPath, SignedOut).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    /// <summary>Where the provider sends the browser back after its sign-out (the OIDC handler answers it).</summary>
    public const string SignedOutCallbackPath = "/signout-callback-oidc";

    /// <summary>The page that says what was signed out.</summary>
    public const string SignedOutPath = "/signed-out";

    /// <summary>The request item in which <c>/signout</c> hands the ID token to the OIDC handler's logout request.</summary>
    public const string IdTokenHintItem = "QuayGateway.IdTokenHint";

    /// <summary>Why the provider's session was left alone, as <c>/signed-out?provider=</c> says.</summary>
    private static readonly Dictionary<string, string> ProviderKept = new(StringComparer.Ordinal)
    {
        ["no-token"] = "The gateway holds no ID token for this session (it began before the gateway kept one, or had already ended), so it could not ask the provider to sign you out.",
        ["unsupported"] = "The provider announces no sign-out endpoint (end_session_endpoint).",
        ["unreachable"] = "The provider's metadata could not be read.",
    };

    /// <summary>Whether the key form is offered: asked for, or by default in Development, and never beside OIDC sign-in.</summary>
    public static bool KeySignInEnabled(AuthOptions auth, IHostEnvironment environment) =>
        auth.Provider.ClientId is null && (auth.ApiKeySignIn ?? environment.IsDevelopment());

    private static IResult SignIn(HttpContext context, string? returnUrl, IOptions<AuthOptions> auth, IHostEnvironment environment, IAntiforgery antiforgery)
    {
        var back = LocalOrDefault(returnUrl);
        if (auth.Value.Provider is { Authority: not null, ClientId: not null })
        {
            return TypedResults.Challenge(new AuthenticationProperties { RedirectUri = back }, [OpenIdConnectDefaults.AuthenticationScheme]);
        }

        if (!KeySignInEnabled(auth.Value, environment))
        {
            return Problems.NotFound("Sign-in (configure Gateway:Auth:Oidc or Gateway:Auth:ApiKeySignIn)");
        }

        return Form(context, antiforgery, back, error: null, StatusCodes.Status200OK);
    }

    private static async Task<IResult> SignInWithKeyAsync(
        HttpContext context, IOptions<AuthOptions> auth, IHostEnvironment environment, IAntiforgery antiforgery,
        BootstrapKey bootstrap, ApiKeyCache keys, TimeProvider time)
    {
        if (!KeySignInEnabled(auth.Value, environment))
        {
            return Problems.NotFound("Sign-in with an API key");
        }

        if (!context.Request.HasFormContentType)
        {
            return Problems.Problem(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.ForStatus(StatusCodes.Status415UnsupportedMediaType),
                "Unsupported media type", "Sign in with the form: application/x-www-form-urlencoded.");
        }

        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Problems.Problem(StatusCodes.Status400BadRequest, ProblemTypes.MalformedRequest, "Form expired",
                "The sign-in form's antiforgery token is missing or stale; load /signin again.");
        }

        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var back = LocalOrDefault(form["returnUrl"]);
        var (principal, error) = string.IsNullOrEmpty(form["apiKey"])
            ? (null, "Enter an API key.")
            : await ApiKeyAuthenticationHandler.ValidateAsync(context, form["apiKey"]!, bootstrap, keys, time);
        if (principal is null)
        {
            return Form(context, antiforgery, back, error, StatusCodes.Status401Unauthorized);
        }

        await context.SignInAsync(SessionAuthenticationHandler.SchemeName, principal, new AuthenticationProperties());
        return TypedResults.Redirect(back);
    }

    /// <summary>
    /// Ends the session here (row and cookie, as always). With OIDC sign-in, also at the provider (RP-initiated
    /// logout): the browser goes to its <c>end_session_endpoint</c> with the session's ID token as
    /// <c>id_token_hint</c>, and comes back through <see cref="SignedOutCallbackPath"/> to <see cref="SignedOutPath"/>.
    /// Otherwise the provider's session would let the next <c>/signin</c> through without asking for a password.
    /// </summary>
    private static async Task<IResult> SignOutAsync(
        HttpContext context, IOptions<AuthOptions> auth, IOptionsMonitor<OpenIdConnectOptions> oidcOptions, SessionIdTokens idTokens,
        TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        if (FromAnotherOrigin(context.Request))
        {
            return Problems.Forbidden(ProblemTypes.Forbidden, "Cross-origin sign-out refused",
                "The browser says this sign-out was sent by a page of another origin; sign out from the gateway's own pages.");
        }

        var protectedIdToken = await SessionAuthenticationHandler.FindProtectedIdTokenAsync(context, time);
        await context.SignOutAsync(SessionAuthenticationHandler.SchemeName);
        if (auth.Value.Provider is not { Authority: not null, ClientId: not null })
        {
            return TypedResults.Redirect(SessionAuthenticationHandler.SignInPath);
        }

        if (idTokens.TryUnprotect(protectedIdToken) is not { } idToken)
        {
            return SignedOutLocally("no-token");
        }

        try
        {
            var manager = oidcOptions.Get(OpenIdConnectDefaults.AuthenticationScheme).ConfigurationManager!;
            var metadata = await manager.GetConfigurationAsync(ct);
            if (string.IsNullOrEmpty(metadata.EndSessionEndpoint))
            {
                return SignedOutLocally("unsupported");
            }
        }
        catch (Exception e) when (e is InvalidOperationException or HttpRequestException or IOException)
        {
            // Signed out here already; the provider's sign-out is best effort. The message only, never the token.
            loggers.CreateLogger(typeof(SignInApi)).LogWarning("Signed out locally only: the OIDC provider's metadata could not be read ({Error})", e.Message);
            return SignedOutLocally("unreachable");
        }

        context.Items[IdTokenHintItem] = idToken;
        return TypedResults.SignOut(new AuthenticationProperties { RedirectUri = SignedOutPath }, [OpenIdConnectDefaults.AuthenticationScheme]);
    }

    /// <summary>
    /// Whether the browser says another origin's page sent this request. A form on any page can POST to
    /// <c>/signout</c>, and the session cookie's SameSite=Lax only keeps it from other sites, not from a neighbouring
    /// subdomain; the cookie itself is the only credential sign-out needs, so there is no form token to check. Browsers
    /// send <c>Sec-Fetch-Site</c> with every request (<c>none</c> when the person typed the address), older ones
    /// <c>Origin</c> with every POST; a client that sends neither is not a page in a browser.
    /// </summary>
    internal static bool FromAnotherOrigin(HttpRequest request)
    {
        if (request.Headers["Sec-Fetch-Site"] is [{ } site])
        {
            return site is not ("same-origin" or "none");
        }

        // The host only: behind a proxy that terminates TLS, the request's scheme is not the page's.
        return request.Headers.Origin is [{ } origin]
               && !(Uri.TryCreate(origin, UriKind.Absolute, out var page) && string.Equals(page.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase));
    }

    private static RedirectHttpResult SignedOutLocally(string reason) => TypedResults.Redirect($"{SignedOutPath}?provider={reason}");

    private static ContentHttpResult SignedOut(HttpContext context, string? provider)
    {
        context.Response.Headers.CacheControl = "no-store";
        var body = provider is null
            ? "<h1>Signed out</h1><p id=\"signed-out\" data-provider=\"ended\">You are signed out of the gateway and of the sign-in provider.</p>"
            : "<h1>Signed out of the gateway</h1><p id=\"signed-out\" data-provider=\"kept\">You are signed out of the gateway, but not of the sign-in provider: " +
              System.Net.WebUtility.HtmlEncode(ProviderKept.GetValueOrDefault(provider, "the provider was not asked to sign you out.")) +
              " The next sign-in may pass through the provider without asking for your password; sign out there as well on a shared computer.</p>";
        return TypedResults.Content(SignInPages.Page("Signed out", body + $"<p><a href=\"{context.Request.PathBase}{SessionAuthenticationHandler.SignInPath}\">Sign in again</a></p>"),
            "text/html; charset=utf-8");
    }

    private static ContentHttpResult Form(HttpContext context, IAntiforgery antiforgery, string back, string? error, int status)
    {
        var tokens = antiforgery.GetAndStoreTokens(context);
        if (status == StatusCodes.Status401Unauthorized)
        {
            ApiKeyAuthenticationHandler.Unauthorized(context, context.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value);
        }

        context.Response.Headers.CacheControl = "no-store";
        return TypedResults.Content(SignInPages.KeyForm(context.Request.PathBase + SessionAuthenticationHandler.SignInPath, back,
            tokens.FormFieldName, tokens.RequestToken!, error), "text/html; charset=utf-8", statusCode: status);
    }

    /// <summary>Only a path on this gateway: an open redirect to another site would make the sign-in a phishing aid.</summary>
    public static string LocalOrDefault(string? returnUrl) =>
        returnUrl is ['/', not '/' and not '\\', ..] or "/" && !returnUrl.Contains('\\', StringComparison.Ordinal)
            ? returnUrl
            : "/swagger";
}
