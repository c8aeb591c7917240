using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.WebUtilities;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>
/// Quay's ways to a long-lived API token, as its source has them:
/// <list type="bullet">
/// <item><c>GET /csrf_token</c> (endpoints/web.py): <c>{"csrf_token"}</c>, kept in the session cookie <c>_csrf_token</c>.</item>
/// <item><c>POST /api/v1/signin</c> (endpoints/api/user.py): a session sign-in, CSRF-protected.</item>
/// <item><c>POST /oauth/authorizeapp</c> (endpoints/web.py, data/model/oauth.py): with Basic auth or a signed-in session, a
///   CSRF token and <c>response_type=token</c>, a 302 whose <c>Location</c> fragment carries a 10-year token. Bearer tokens
///   do not authenticate here. From 3.12 only an admin of the application's organization may mint.</item>
/// <item><c>GET|POST /api/v1/organization/{org}/applications</c> (endpoints/api/organization.py).</item>
/// <item>From 3.18: <c>GET|POST /api/v1/organization/{org}/applications/{client_id}/tokens</c> and
///   <c>DELETE …/tokens/{uuid}</c> (endpoints/api/organization_application_tokens.py).</item>
/// </list>
/// </summary>
internal static partial class QuayEndpoints
{
    private const string SessionCookie = "_csrf_token";
    private const string OrganizationPrefix = "/api/v1/organization/";

    private static Task? DispatchOAuth(QuayInstance quay, HttpContext context, string path)
    {
        var method = context.Request.Method;
        switch (path)
        {
            case "/csrf_token" when HttpMethods.IsGet(method):
                return CsrfToken(quay, context);
            case "/api/v1/signin" when HttpMethods.IsPost(method):
                return Signin(quay, context);
            case "/oauth/authorizeapp" when HttpMethods.IsPost(method):
                return AuthorizeApp(quay, context);
            case "/api/v1/user/" when HttpMethods.IsGet(method):
                return ApiResource(quay, context, GetUser);
            case "/api/v1/user" when HttpMethods.IsGet(method):
                return RedirectToSlash(context, path);
        }

        if (!path.StartsWith(OrganizationPrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var parts = path[OrganizationPrefix.Length..].Split('/');
        if (parts.Length < 2 || parts[1] != "applications" || parts.Any(p => p.Length == 0))
        {
            return null;
        }

        var org = parts[0];
        switch (parts.Length)
        {
            case 2 when HttpMethods.IsGet(method):
                return ApiResource(quay, context, (q, c, user) => ListApplications(q, c, user, org));
            case 2 when HttpMethods.IsPost(method):
                return ApiResource(quay, context, (q, c, user) => CreateApplication(q, c, user, org));
        }

        if (parts.Length is < 4 or > 5 || parts[3] != "tokens" || !QuayVersions.AtLeast(quay.Version, 3, 18))
        {
            return null; // before 3.18 the route does not exist: the API's 404
        }

        var clientId = parts[2];
        return parts.Length switch
        {
            4 when HttpMethods.IsGet(method) => ApiResource(quay, context, (q, c, user) => ListApplicationTokens(q, c, user, org, clientId)),
            4 when HttpMethods.IsPost(method) => ApiResource(quay, context, (q, c, user) => CreateApplicationToken(q, c, user, org, clientId)),
            5 when HttpMethods.IsDelete(method) => ApiResource(quay, context, (q, c, user) => DeleteApplicationToken(q, c, user, org, clientId, parts[4])),
            _ => QuayResponses.ApiError(context, 405, "invalid_request", "The method is not allowed for the requested URL."),
        };
    }

    private static Task CsrfToken(QuayInstance quay, HttpContext context)
    {
        var (id, session) = quay.Database.Session(context.Request.Cookies[SessionCookie]);
        SetSessionCookie(context, id);
        return QuayResponses.Jsonify(context, 200, new JsonObject { ["csrf_token"] = session.CsrfToken });
    }

    private static async Task Signin(QuayInstance quay, HttpContext context)
    {
        var sessionId = context.Request.Cookies[SessionCookie];
        if (!CsrfMatches(quay, context, sessionId, form: null))
        {
            await QuayResponses.Abort(context, 403, "CSRF token was invalid or missing.");
            return;
        }

        var body = await ReadJsonObject(context.Request);
        if (body is null)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", "Missing JSON body");
            return;
        }

        foreach (var key in new[] { "username", "password" })
        {
            if (body[key] is null)
            {
                await QuayResponses.ApiError(context, 400, "invalid_request",
                    $"'{key}' is a required property\n\nFailed validating 'required' in schema:\n    {{'type': 'object', 'description': 'Information required to sign in a user.', 'required': ['username', 'password']}}");
                return;
            }

            if (body[key]!.GetValueKind() != JsonValueKind.String)
            {
                await QuayResponses.ApiError(context, 400, "invalid_request",
                    $"{body[key]!.ToJsonString()} is not of type 'string'\n\nFailed validating 'type' in schema['properties']['{key}']");
                return;
            }
        }

        var username = body["username"]!.GetValue<string>();
        if (!quay.Database.VerifyPassword(username, body["password"]!.GetValue<string>()))
        {
            await QuayResponses.Restful(context, 403, new JsonObject
            {
                ["needsEmailVerification"] = false,
                ["invalidCredentials"] = true,
                ["message"] = "Invalid Username or Password",
            });
            return;
        }

        quay.Database.SignIn(sessionId!, username);
        context.Response.Headers["X-Next-CSRF-Token"] = quay.Database.ExistingSession(sessionId)!.CsrfToken;
        await QuayResponses.Restful(context, 200, new JsonObject { ["success"] = true });
    }

    private static async Task AuthorizeApp(QuayInstance quay, HttpContext context)
    {
        var request = context.Request;
        var form = request.HasFormContentType ? await request.ReadFormAsync(context.RequestAborted) : null;
        var sessionId = request.Cookies[SessionCookie];

        // process_auth_or_cookie: Basic credentials or a signed-in session; a bearer token is not looked at.
        var user = BasicAuthUser(quay, request) ?? quay.Database.ExistingSession(sessionId)?.Username;
        if (user is null)
        {
            await QuayResponses.Abort(context, 401, "Unauthorized");
            return;
        }

        if (!CsrfMatches(quay, context, sessionId, form))
        {
            await QuayResponses.Abort(context, 403, "CSRF token was invalid or missing.");
            return;
        }

        var clientId = form?["client_id"].FirstOrDefault();
        var redirectUri = form?["redirect_uri"].FirstOrDefault();
        var responseType = form?["response_type"].FirstOrDefault() ?? "code";
        var scope = form?["scope"].FirstOrDefault();
        var state = form?["state"].FirstOrDefault();
        if (responseType != "token")
        {
            // Only the token flow is played; the code flow's answer for a bad response_type is the same redirect.
            RedirectError(context, redirectUri, "unsupported_response_type");
            return;
        }

        var application = clientId is null ? null : quay.Database.FindApplication(clientId);
        var mayMint = application is not null
                      && (!QuayVersions.AtLeast(quay.Version, 3, 12) || quay.Database.IsOrganizationAdmin(user, application.Organization));
        if (!mayMint)
        {
            RedirectError(context, redirectUri, "unauthorized_client");
            return;
        }

        if (!IsValidRedirect(quay, request, application!, redirectUri))
        {
            // _invalid_redirect_uri_response: a JSON 400.
            context.Response.StatusCode = 400;
            context.Response.ContentType = "application/json;charset=UTF-8";
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers.Pragma = "no-cache";
            await context.Response.WriteAsync("{\"error\": \"invalid_request\"}", context.RequestAborted);
            return;
        }

        if (!QuayDatabase.IsValidScope(scope))
        {
            RedirectError(context, redirectUri, "invalid_scope");
            return;
        }

        var (token, _) = quay.Database.MintToken(application!, user, scope!, QuayDatabase.MintedTokenLifetime, name: null);
        var query = new List<KeyValuePair<string, string?>> { new("scope", scope) };
        if (state is not null)
        {
            query.Add(new("state", state));
        }

        var location = BuildUrl(redirectUri!, query) +
                       string.Create(CultureInfo.InvariantCulture, $"#access_token={token}&token_type=Bearer&expires_in={(long)QuayDatabase.MintedTokenLifetime.TotalSeconds}");
        context.Response.StatusCode = 302;
        context.Response.Headers.Location = location;
        context.Response.ContentType = "text/html; charset=utf-8";
    }

    private static Task ListApplications(QuayInstance quay, HttpContext context, string? user, string org)
    {
        if (user is null || !HasScope(quay, context, "org:admin") || !quay.Database.IsOrganizationAdmin(user, org))
        {
            return Unauthorized(context, user);
        }

        var applications = quay.Database.ApplicationsOf(org).Select(a => (JsonNode)ApplicationView(a)).ToArray();
        return QuayResponses.Restful(context, 200, new JsonObject { ["applications"] = new JsonArray(applications) });
    }

    private static async Task CreateApplication(QuayInstance quay, HttpContext context, string? user, string org)
    {
        var body = await ReadJsonObject(context.Request);
        if (body is null)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", "Missing JSON body");
            return;
        }

        if (body["name"] is null)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request",
                $"'name' is a required property\n\nFailed validating 'required' in schema:\n    {{'type': 'object', 'description': 'Description of a new organization application.', 'required': ['name']}}\n\nOn instance:\n    {PythonJson.Dumps(body, sortKeys: false, compact: false)}");
            return;
        }

        foreach (var key in new[] { "name", "redirect_uri", "application_uri", "description", "avatar_email" })
        {
            if (body[key] is { } value && value.GetValueKind() != JsonValueKind.String)
            {
                await QuayResponses.ApiError(context, 400, "invalid_request",
                    $"{value.ToJsonString()} is not of type 'string'\n\nFailed validating 'type' in schema['properties']['{key}']");
                return;
            }
        }

        if (user is null || !HasScope(quay, context, "org:admin") || !quay.Database.IsOrganizationAdmin(user, org))
        {
            await Unauthorized(context, user);
            return;
        }

        var name = body["name"]!.GetValue<string>();
        if (name == "__quay_bootstrap_app" && QuayVersions.AtLeast(quay.Version, 3, 18))
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", "Application name is reserved for bootstrap token provisioning");
            return;
        }

        var application = quay.Database.CreateApplication(org, name, Text(body, "application_uri") ?? "", Text(body, "redirect_uri") ?? "",
            Text(body, "description") ?? "", Text(body, "avatar_email"));
        await QuayResponses.Restful(context, 200, ApplicationView(application));
    }

    private static Task ListApplicationTokens(QuayInstance quay, HttpContext context, string? user, string org, string clientId)
    {
        if (user is null || !HasScope(quay, context, "org:admin") || !quay.Database.IsOrganizationAdmin(user, org))
        {
            return Unauthorized(context, user);
        }

        if (quay.Database.FindApplication(clientId) is not { } application || application.Organization != org)
        {
            return QuayResponses.ApiError(context, 404, "not_found", "Not Found");
        }

        var tokens = quay.Database.TokensOf(application.ClientId).Select(t => (JsonNode)TokenView(t, secret: null)).ToArray();
        return QuayResponses.Restful(context, 200, new JsonObject { ["tokens"] = new JsonArray(tokens) });
    }

    private static async Task CreateApplicationToken(QuayInstance quay, HttpContext context, string? user, string org, string clientId)
    {
        var body = await ReadJsonObject(context.Request);
        if (body is null)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", "Missing JSON body");
            return;
        }

        foreach (var key in new[] { "name", "scope" })
        {
            if (body[key] is null)
            {
                await QuayResponses.ApiError(context, 400, "invalid_request",
                    $"'{key}' is a required property\n\nFailed validating 'required' in schema");
                return;
            }

            if (body[key]!.GetValueKind() != JsonValueKind.String)
            {
                await QuayResponses.ApiError(context, 400, "invalid_request",
                    $"{body[key]!.ToJsonString()} is not of type 'string'\n\nFailed validating 'type' in schema['properties']['{key}']");
                return;
            }
        }

        if (user is null || !HasScope(quay, context, "org:admin") || !quay.Database.IsOrganizationAdmin(user, org))
        {
            await Unauthorized(context, user);
            return;
        }

        if (quay.Database.FindApplication(clientId) is not { } application || application.Organization != org)
        {
            await QuayResponses.ApiError(context, 404, "not_found", "Not Found");
            return;
        }

        var name = body["name"]!.GetValue<string>().Trim();
        if (name.Length == 0)
        {
            await QuayResponses.Restful(context, 400, Message("'name' must not be empty"));
            return;
        }

        var requested = body["scope"]!.GetValue<string>();
        var scope = QuayDatabase.NormalizeScope(requested);
        if (!QuayDatabase.IsValidScope(scope))
        {
            await QuayResponses.Restful(context, 400, Message($"Invalid scope: {requested}"));
            return;
        }

        // _can_mint_scope: within the calling token's scope (a session has no such limit), and each scope backed by the
        // user's own permission.
        var callerScope = BearerToken(context.Request) is { } bearer ? quay.Database.ScopeOfToken(bearer) : QuayDatabase.InitializeScopes;
        if (callerScope is null || !QuayDatabase.IsSubset(callerScope, scope)
            || (scope.Split(' ').Contains("super:user") && !quay.Config.SuperUsers.Contains(user)))
        {
            await Unauthorized(context, user);
            return;
        }

        var lifetime = QuayDatabase.MintedTokenLifetime;
        if (body["expiration"] is { } expiration)
        {
            if (expiration.GetValueKind() != JsonValueKind.Number || expiration.GetValue<double>() < 1)
            {
                await QuayResponses.ApiError(context, 400, "invalid_request",
                    $"{expiration.ToJsonString()} is not of type 'number'\n\nFailed validating 'type' in schema['properties']['expiration']");
                return;
            }

            lifetime = TimeSpan.FromSeconds(Math.Min(Math.Floor(expiration.GetValue<double>()), lifetime.TotalSeconds));
        }

        var (token, record) = quay.Database.MintToken(application, user, scope, lifetime, name);
        await QuayResponses.Restful(context, 200, TokenView(record, token));
    }

    private static async Task DeleteApplicationToken(QuayInstance quay, HttpContext context, string? user, string org, string clientId, string uuid)
    {
        if (user is null || !HasScope(quay, context, "org:admin") || !quay.Database.IsOrganizationAdmin(user, org))
        {
            await Unauthorized(context, user);
            return;
        }

        if (quay.Database.FindApplication(clientId) is not { } application || application.Organization != org
            || !quay.Database.DeleteToken(clientId, uuid))
        {
            await QuayResponses.ApiError(context, 404, "not_found", "Not Found");
            return;
        }

        await QuayResponses.Restful(context, 204, "");
    }

    /// <summary>A signed-in session's user: for reads, and for writes that carry the session's CSRF token (csrf_protect).</summary>
    private static string? SessionUser(QuayInstance quay, HttpContext context)
    {
        var sessionId = context.Request.Cookies[SessionCookie];
        if (quay.Database.ExistingSession(sessionId) is not { Username: { } user })
        {
            return null;
        }

        return HttpMethods.IsGet(context.Request.Method) || CsrfMatches(quay, context, sessionId, form: null) ? user : null;
    }

    /// <summary><c>GET /api/v1/user/</c>: the authenticated user's own view (endpoints/api/user.py user_view).</summary>
    /// <summary>
    /// <c>GET /api/v1/user/</c> (endpoints/api/user.py <c>User.get</c> and <c>user_view</c>). What a token sees follows
    /// its scopes (auth/permissions.py caps the roles an OAuth token's user gets): without <c>user:read</c> or
    /// <c>user:admin</c> it is 401 "Requires authentication" with <c>session_required: false</c>; the private fields need
    /// <c>user:admin</c>; an organization's <c>is_org_admin</c> needs <c>org:admin</c> and <c>can_create_repo</c>
    /// <c>repo:create</c> or <c>org:admin</c>; <c>super_user</c> appears only with <c>super:user</c> for a superuser.
    /// A signed-in session has every scope.
    /// </summary>
    private static Task GetUser(QuayInstance quay, HttpContext context, string? user)
    {
        var userAdmin = HasScope(quay, context, "user:admin");
        var userRead = userAdmin || HasScope(quay, context, "user:read");
        if (user is null || quay.Database.Find(user) is not { IsOrganization: false } found || !userRead)
        {
            return QuayResponses.ApiError(context, 401, "invalid_token", "Requires authentication", new JsonObject { ["session_required"] = false });
        }

        var orgAdmin = HasScope(quay, context, "org:admin");
        var canCreate = orgAdmin || HasScope(quay, context, "repo:create");
        var organizations = quay.Database.OrganizationsAdministeredBy(user).Select(o =>
        {
            var org = new JsonObject
            {
                ["name"] = o.Name,
                ["avatar"] = Avatar.For(o.Name, o.Email, "org"),
                ["can_create_repo"] = canCreate,
                ["public"] = false,
            };
            if (userAdmin)
            {
                org["is_org_admin"] = orgAdmin;
                org["preferred_namespace"] = false;
            }

            return (JsonNode)org;
        }).ToArray();
        var view = new JsonObject
        {
            ["anonymous"] = false,
            ["username"] = found.Name,
            ["avatar"] = Avatar.For(found.Name, found.Email, "user"),
        };
        if (userAdmin)
        {
            view["can_create_repo"] = true;
            view["is_me"] = true;
            view["verified"] = true;
            view["email"] = found.Email;
            view["logins"] = new JsonArray();
            view["invoice_email"] = false;
            view["invoice_email_address"] = null;
            view["preferred_namespace"] = false;
            view["tag_expiration_s"] = 1209600;
            view["prompts"] = new JsonArray();
            view["company"] = null;
            view["family_name"] = null;
            view["given_name"] = null;
            view["location"] = null;
            view["is_free_account"] = true;
            view["has_password_set"] = true;
        }

        view["organizations"] = new JsonArray(organizations);
        if (quay.Config.SuperUsers.Contains(user) && HasScope(quay, context, "super:user"))
        {
            view["super_user"] = true;
        }

        return QuayResponses.Restful(context, 200, view);
    }

    private static JsonObject ApplicationView(QuayOAuthApplication application) => new()
    {
        // The gateway's callers are the organization's admins: they see the secret and the redirect URI.
        ["name"] = application.Name,
        ["description"] = application.Description,
        ["application_uri"] = application.ApplicationUri,
        ["client_id"] = application.ClientId,
        ["client_secret"] = application.ClientSecret,
        ["redirect_uri"] = application.RedirectUri,
        ["avatar_email"] = application.AvatarEmail,
    };

    private static JsonObject TokenView(QuayMintedToken token, string? secret)
    {
        var view = new JsonObject
        {
            ["uuid"] = token.Uuid,
            ["name"] = token.Name,
            ["scope"] = token.Scope,
            ["expires_at"] = PythonIso(token.ExpiresAt),
            ["created"] = PythonIso(token.Created),
            ["created_by"] = token.Username,
            ["last_accessed"] = null,
        };
        if (secret is not null)
        {
            view["token"] = secret;
        }

        return view;
    }

    /// <summary>Python's naive <c>datetime.isoformat() + "Z"</c>: microseconds only when non-zero.</summary>
    private static string PythonIso(DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        var micros = utc.Ticks % TimeSpan.TicksPerSecond / 10;
        return utc.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture)
               + (micros == 0 ? "" : "." + micros.ToString("D6", CultureInfo.InvariantCulture)) + "Z";
    }

    private static bool HasScope(QuayInstance quay, HttpContext context, string scope) =>
        BearerToken(context.Request) is not { } token || quay.Database.ScopeOfToken(token) is { } granted && QuayDatabase.IsSubset(granted, scope);

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header["Bearer ".Length..].Trim() : null;
    }

    private static string? BasicAuthUser(QuayInstance quay, HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header["Basic ".Length..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 && quay.Database.VerifyPassword(decoded[..colon], decoded[(colon + 1)..]) ? decoded[..colon] : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary><c>verify_csrf</c>: the session's token against the form field <c>_csrf_token</c> or the <c>X-CSRF-Token</c> header.</summary>
    private static bool CsrfMatches(QuayInstance quay, HttpContext context, string? sessionId, IFormCollection? form)
    {
        var expected = quay.Database.ExistingSession(sessionId)?.CsrfToken;
        var found = form?["_csrf_token"].FirstOrDefault();
        if (string.IsNullOrEmpty(found))
        {
            found = context.Request.Headers["X-CSRF-Token"].FirstOrDefault();
        }

        return !string.IsNullOrEmpty(expected) && !string.IsNullOrEmpty(found)
               && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(expected), Encoding.UTF8.GetBytes(found));
    }

    /// <summary>The internal handler (<c>&lt;scheme&gt;://&lt;SERVER_HOSTNAME&gt;/oauth/localapp</c>) or the application's own redirect URI.</summary>
    private static bool IsValidRedirect(QuayInstance quay, HttpRequest request, QuayOAuthApplication application, string? redirectUri)
    {
        if (!Uri.TryCreate(redirectUri, UriKind.Absolute, out var uri))
        {
            return false;
        }

        if (uri.AbsolutePath == "/oauth/localapp" && uri.Query.Length == 0
            && string.Equals(uri.Host, request.Host.Host, StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return application.RedirectUri.Length > 0 && Uri.TryCreate(application.RedirectUri, UriKind.Absolute, out var registered)
               && registered.Scheme == uri.Scheme && string.Equals(registered.Host, uri.Host, StringComparison.OrdinalIgnoreCase)
               && uri.AbsolutePath.StartsWith(registered.AbsolutePath, StringComparison.Ordinal);
    }

    /// <summary><c>_make_redirect_error_response</c>: 302 to the redirect URI with <c>?error=…</c>.</summary>
    private static void RedirectError(HttpContext context, string? redirectUri, string error)
    {
        context.Response.StatusCode = 302;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.Location = BuildUrl(redirectUri ?? "", [new("error", error)]);
    }

    /// <summary><c>oauth.utils.build_url</c>: the URL's own query plus the parameters, urlencoded (quote_plus).</summary>
    private static string BuildUrl(string baseUrl, List<KeyValuePair<string, string?>> parameters)
    {
        var fragment = baseUrl.IndexOf('#', StringComparison.Ordinal) is var hash and >= 0 ? baseUrl[hash..] : "";
        var withoutFragment = fragment.Length > 0 ? baseUrl[..^fragment.Length] : baseUrl;
        var question = withoutFragment.IndexOf('?', StringComparison.Ordinal);
        var path = question >= 0 ? withoutFragment[..question] : withoutFragment;
        var existing = question >= 0 ? QueryHelpers.ParseQuery(withoutFragment[question..]) : [];
        var all = existing.Select(p => new KeyValuePair<string, string?>(p.Key, p.Value.ToString()))
            .Where(p => parameters.All(q => q.Key != p.Key)).Concat(parameters).Where(p => p.Value is not null);
        var query = string.Join('&', all.Select(p => QuotePlus(p.Key) + "=" + QuotePlus(p.Value!)));
        return path + (query.Length > 0 ? "?" + query : "") + fragment;
    }

    private static string QuotePlus(string value) => Uri.EscapeDataString(value).Replace("%20", "+", StringComparison.Ordinal);

    private static void SetSessionCookie(HttpContext context, string id) =>
        context.Response.Headers.SetCookie = $"{SessionCookie}={id}; HttpOnly; Path=/; SameSite=Lax";

    private static string? Text(JsonObject body, string key) => body[key] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
}
