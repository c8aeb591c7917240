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
        return app;
    }

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

    private static async Task<RedirectHttpResult> SignOutAsync(HttpContext context, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        await context.SignOutAsync(SessionAuthenticationHandler.SchemeName);
        return TypedResults.Redirect(SessionAuthenticationHandler.SignInPath);
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
