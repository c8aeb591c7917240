using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using QuayGateway.Sandbox.QuayApi;

namespace QuayGateway.Tests.Sandbox.QuayApi;

/// <summary>
/// The sandbox's ways to a long-lived token, recorded against Quay's source: <c>/csrf_token</c> and <c>/api/v1/signin</c>
/// (endpoints/web.py, endpoints/api/user.py), organization applications (endpoints/api/organization.py),
/// <c>/oauth/authorizeapp</c> (endpoints/web.py, data/model/oauth.py, oauth/provider.py) and, from 3.18, the application
/// tokens endpoint (endpoints/api/organization_application_tokens.py).
/// </summary>
public sealed class OAuthTokenTests
{
    private const string Registry = "quay-enterprise/example-registry";

    private static QuayApiHarness Quay(string version)
    {
        var quay = new QuayApiHarness();
        quay.Simulator.Open(Registry, [QuayApiHarness.Host], QuayApiHarness.Config("FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n"), version);
        return quay;
    }

    private static async Task<(string Token, string ClientId)> OrgWithApplication(QuayApiHarness quay)
    {
        var token = await quay.InitializeAdmin();
        Assert.Equal(201, (await quay.Post("/api/v1/organization/", new { name = "quaygateway", email = "quaygateway@example.com" }, token)).Status);
        var app = await quay.Post("/api/v1/organization/quaygateway/applications", new { name = "quaygateway", description = "QuayGateway automation" }, token);
        Assert.Equal(200, app.Status);
        return (token, app.Json!["client_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Creating_an_application_answers_200_with_Quays_app_view()
    {
        var quay = Quay("3.16");
        var (token, clientId) = await OrgWithApplication(quay);

        var list = await quay.Get("/api/v1/organization/quaygateway/applications", token);
        var anonymous = await quay.Post("/api/v1/organization/quaygateway/applications", new { name = "x" });
        var noName = await quay.Post("/api/v1/organization/quaygateway/applications", new { description = "x" }, token);

        Assert.Equal(200, list.Status);
        var app = (JsonObject)list.Json!["applications"]![0]!;
        Assert.Equal(["name", "description", "application_uri", "client_id", "client_secret", "redirect_uri", "avatar_email"], app.Select(p => p.Key));
        Assert.Equal(clientId, app["client_id"]!.GetValue<string>());
        Assert.Equal(("quaygateway", "", ""), (app["name"]!.GetValue<string>(), app["application_uri"]!.GetValue<string>(), app["redirect_uri"]!.GetValue<string>()));
        Assert.Null(app["avatar_email"]);
        Assert.Equal((403, "{\"error\": \"CSRF token was invalid or missing.\"}"), (anonymous.Status, anonymous.Body));
        Assert.Equal(400, noName.Status);
        Assert.StartsWith("'name' is a required property", noName.Json!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task On_318_the_tokens_endpoint_mints_a_ten_year_token_shown_once()
    {
        var quay = Quay("3.18");
        var (token, clientId) = await OrgWithApplication(quay);
        var scope = QuayDatabase.InitializeScopes;

        var minted = await quay.Post($"/api/v1/organization/quaygateway/applications/{clientId}/tokens", new { name = "quaygateway", scope }, token);
        var list = await quay.Get($"/api/v1/organization/quaygateway/applications/{clientId}/tokens", token);

        Assert.Equal(200, minted.Status);
        var view = (JsonObject)minted.Json!;
        Assert.Equal(["uuid", "name", "scope", "expires_at", "created", "created_by", "last_accessed", "token"], view.Select(p => p.Key));
        Assert.Equal((scope, "quayadmin"), (view["scope"]!.GetValue<string>(), view["created_by"]!.GetValue<string>()));
        var expires = DateTimeOffset.Parse(view["expires_at"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - quay.Clock.GetUtcNow(), TimeSpan.FromDays(3652), TimeSpan.FromDays(3653));
        var durable = view["token"]!.GetValue<string>();
        Assert.Null(list.Json!["tokens"]![0]!["token"]);
        quay.Clock.Advance(TimeSpan.FromDays(30));
        Assert.Equal(200, (await quay.Get("/api/v1/superuser/users/", durable)).Status);
        Assert.Equal(401, (await quay.Get("/api/v1/superuser/users/", token)).Status);
    }

    /// <summary>
    /// What <c>GET /api/v1/user/</c> shows a token follows its scopes (endpoints/api/user.py <c>user_view</c>,
    /// auth/permissions.py): the gateway reads a supplied token's scopes from exactly these differences.
    /// </summary>
    [Fact]
    public async Task The_user_view_shows_a_token_only_what_its_scopes_allow()
    {
        var quay = Quay("3.18");
        var (token, clientId) = await OrgWithApplication(quay);
        async Task<QuayReply> UserWith(string scope)
        {
            var minted = await quay.Post($"/api/v1/organization/quaygateway/applications/{clientId}/tokens", new { name = scope, scope }, token);
            Assert.Equal(200, minted.Status);
            return await quay.Get("/api/v1/user/", minted.Json!["token"]!.GetValue<string>());
        }

        var full = await quay.Get("/api/v1/user/", token);
        var read = await UserWith("user:read");
        var admin = await UserWith("user:admin org:admin");
        var creator = await UserWith("user:admin repo:create");
        var repoOnly = await UserWith("repo:read");

        Assert.Equal(200, full.Status);
        Assert.True(full.Json!["super_user"]!.GetValue<bool>());
        Assert.Equal(["anonymous", "username", "avatar", "organizations"], ((JsonObject)read.Json!).Select(p => p.Key));
        Assert.Equal(["name", "avatar", "can_create_repo", "public"], ((JsonObject)read.Json!["organizations"]![0]!).Select(p => p.Key));
        Assert.False(read.Json!["organizations"]![0]!["can_create_repo"]!.GetValue<bool>());
        Assert.Equal(("quayadmin@example.com", true, true), (admin.Json!["email"]!.GetValue<string>(), admin.Json!["organizations"]![0]!["is_org_admin"]!.GetValue<bool>(),
            admin.Json!["organizations"]![0]!["can_create_repo"]!.GetValue<bool>()));
        Assert.Null(admin.Json!["super_user"]); // a superuser, but the token lacks super:user
        Assert.Equal((false, true), (creator.Json!["organizations"]![0]!["is_org_admin"]!.GetValue<bool>(), creator.Json!["organizations"]![0]!["can_create_repo"]!.GetValue<bool>()));
        Assert.Equal(401, repoOnly.Status);
        Assert.Equal(["session_required", "detail", "error_message", "error_type", "title", "type", "status"], ((JsonObject)repoOnly.Json!).Select(p => p.Key));
        Assert.Equal(("Requires authentication", "invalid_token", false), (repoOnly.Json!["detail"]!.GetValue<string>(), repoOnly.Json!["error_type"]!.GetValue<string>(),
            repoOnly.Json!["session_required"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task The_tokens_endpoint_answers_Quays_errors()
    {
        var quay = Quay("3.18");
        var (token, clientId) = await OrgWithApplication(quay);
        var path = $"/api/v1/organization/quaygateway/applications/{clientId}/tokens";

        var blankName = await quay.Post(path, new { name = "  ", scope = "org:admin" }, token);
        var badScope = await quay.Post(path, new { name = "t", scope = "org:admin nope" }, token);
        var noApp = await quay.Post("/api/v1/organization/quaygateway/applications/NOSUCHAPP/tokens", new { name = "t", scope = "org:admin" }, token);
        var missingScope = await quay.Post(path, new { name = "t" }, token);

        Assert.Equal((400, "{\"message\": \"'name' must not be empty\"}\n"), (blankName.Status, blankName.Body));
        Assert.Equal((400, "{\"message\": \"Invalid scope: org:admin nope\"}\n"), (badScope.Status, badScope.Body));
        Assert.Equal((404, "not_found"), (noApp.Status, noApp.Json!["error_type"]!.GetValue<string>()));
        Assert.Equal((400, "invalid_request"), (missingScope.Status, missingScope.Json!["error_type"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Before_318_the_tokens_endpoint_is_the_APIs_404()
    {
        var quay = Quay("3.12");
        var (token, clientId) = await OrgWithApplication(quay);

        var reply = await quay.Post($"/api/v1/organization/quaygateway/applications/{clientId}/tokens", new { name = "t", scope = "org:admin" }, token);

        Assert.Equal((404, "not_found"), (reply.Status, reply.Json!["error_type"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("3.9")]
    [InlineData("3.12")]
    [InlineData("3.18")]
    public async Task Authorizeapp_with_Basic_auth_and_a_CSRF_token_redirects_with_the_token_in_the_fragment(string version)
    {
        var quay = Quay(version);
        var (_, clientId) = await OrgWithApplication(quay);
        var csrf = await quay.Get("/csrf_token");
        var cookie = SessionCookie(csrf);
        var redirect = $"https://{QuayApiHarness.Host}/oauth/localapp";

        var reply = await AuthorizeApp(quay, cookie, ("quayadmin", "quaypass123"), new()
        {
            ["_csrf_token"] = csrf.Json!["csrf_token"]!.GetValue<string>(), ["client_id"] = clientId,
            ["scope"] = "org:admin super:user", ["response_type"] = "token", ["redirect_uri"] = redirect,
        });

        Assert.Equal(200, csrf.Status);
        Assert.Equal(302, reply.Status);
        var location = reply.Headers.Location.ToString();
        Assert.StartsWith(redirect + "?scope=org%3Aadmin+super%3Auser#access_token=", location, StringComparison.Ordinal);
        Assert.EndsWith("&token_type=Bearer&expires_in=315576000", location, StringComparison.Ordinal);
        var token = location.Split("#access_token=")[1].Split('&')[0];
        Assert.Equal(40, token.Length);
        quay.Clock.Advance(TimeSpan.FromDays(30));
        Assert.Equal(200, (await quay.Get("/api/v1/superuser/users/", token)).Status);
    }

    [Fact]
    public async Task Authorizeapp_refuses_without_credentials_CSRF_or_a_known_client()
    {
        var quay = Quay("3.12");
        var (token, clientId) = await OrgWithApplication(quay);
        var csrf = await quay.Get("/csrf_token");
        var cookie = SessionCookie(csrf);
        var csrfToken = csrf.Json!["csrf_token"]!.GetValue<string>();
        var redirect = $"https://{QuayApiHarness.Host}/oauth/localapp";
        Dictionary<string, string> Form(string client, string redirectUri = "") => new()
        {
            ["_csrf_token"] = csrfToken, ["client_id"] = client, ["scope"] = "org:admin", ["response_type"] = "token",
            ["redirect_uri"] = redirectUri.Length > 0 ? redirectUri : redirect,
        };

        var wrongPassword = await AuthorizeApp(quay, cookie, ("quayadmin", "wrongpass1"), Form(clientId));
        var bearer = await AuthorizeApp(quay, cookie, null, Form(clientId), bearer: token);
        var noCsrf = await AuthorizeApp(quay, null, ("quayadmin", "quaypass123"), Form(clientId));
        var unknownClient = await AuthorizeApp(quay, cookie, ("quayadmin", "quaypass123"), Form("NOSUCHCLIENT"));
        var foreignRedirect = await AuthorizeApp(quay, cookie, ("quayadmin", "quaypass123"), Form(clientId, "https://evil.example.com/cb"));

        Assert.Equal((401, "{\"error\": \"Unauthorized\"}"), (wrongPassword.Status, wrongPassword.Body));
        Assert.Equal(401, bearer.Status);
        Assert.Equal((403, "{\"error\": \"CSRF token was invalid or missing.\"}"), (noCsrf.Status, noCsrf.Body));
        Assert.Equal((302, redirect + "?error=unauthorized_client"), (unknownClient.Status, unknownClient.Headers.Location.ToString()));
        Assert.Equal((400, "{\"error\": \"invalid_request\"}"), (foreignRedirect.Status, foreignRedirect.Body));
    }

    [Fact]
    public async Task Signin_needs_the_sessions_CSRF_token_and_answers_Quays_bodies()
    {
        var quay = Quay("3.16");
        await quay.InitializeAdmin();
        var csrf = await quay.Get("/csrf_token");
        var cookie = SessionCookie(csrf);
        var csrfToken = csrf.Json!["csrf_token"]!.GetValue<string>();

        var noCsrf = await Signin(quay, cookie, null, "quayadmin", "quaypass123");
        var wrong = await Signin(quay, cookie, csrfToken, "quayadmin", "wrongpass1");
        var ok = await Signin(quay, cookie, csrfToken, "quayadmin", "quaypass123");

        Assert.Equal((403, "{\"error\": \"CSRF token was invalid or missing.\"}"), (noCsrf.Status, noCsrf.Body));
        Assert.Equal((403, "{\"needsEmailVerification\": false, \"invalidCredentials\": true, \"message\": \"Invalid Username or Password\"}\n"), (wrong.Status, wrong.Body));
        Assert.Equal((200, "{\"success\": true}\n"), (ok.Status, ok.Body));
        Assert.False(string.IsNullOrEmpty(ok.Headers["X-Next-CSRF-Token"].ToString()));
    }

    [Fact]
    public async Task Revoking_tokens_makes_Quay_treat_them_as_anonymous()
    {
        var quay = Quay("3.18");
        var token = await quay.InitializeAdmin();

        Assert.Equal(1, quay.Simulator.RevokeTokens(Registry));

        Assert.Equal(401, (await quay.Get("/api/v1/superuser/users/", token)).Status);
    }

    private static string SessionCookie(QuayReply reply)
    {
        var setCookie = reply.Headers.SetCookie.ToString();
        Assert.StartsWith("_csrf_token=", setCookie, StringComparison.Ordinal);
        return setCookie.Split(';')[0];
    }

    private static Task<QuayReply> AuthorizeApp(QuayApiHarness quay, string? cookie, (string User, string Password)? basic, Dictionary<string, string> form, string? bearer = null) =>
        Send(quay, "POST", "/oauth/authorizeapp", request =>
        {
            if (cookie is not null)
            {
                request.Headers.Cookie = cookie;
            }

            if (basic is { } b)
            {
                request.Headers.Authorization = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{b.User}:{b.Password}"));
            }
            else if (bearer is not null)
            {
                request.Headers.Authorization = "Bearer " + bearer;
            }

            request.ContentType = "application/x-www-form-urlencoded";
            request.Body = new MemoryStream(Encoding.UTF8.GetBytes(string.Join('&', form.Select(f => $"{Uri.EscapeDataString(f.Key)}={Uri.EscapeDataString(f.Value)}"))));
        });

    private static Task<QuayReply> Signin(QuayApiHarness quay, string cookie, string? csrf, string username, string password) =>
        Send(quay, "POST", "/api/v1/signin", request =>
        {
            request.Headers.Cookie = cookie;
            if (csrf is not null)
            {
                request.Headers["X-CSRF-Token"] = csrf;
            }

            request.ContentType = "application/json";
            request.Body = new MemoryStream(Encoding.UTF8.GetBytes(new JsonObject { ["username"] = username, ["password"] = password }.ToJsonString()));
        });

    private static async Task<QuayReply> Send(QuayApiHarness quay, string method, string path, Action<HttpRequest> configure)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(QuayApiHarness.Host);
        context.Request.Path = path;
        configure(context.Request);
        var response = new MemoryStream();
        context.Response.Body = response;
        await quay.Simulator.HandleAsync(context);
        return new QuayReply(context.Response.StatusCode, context.Response.ContentType ?? "", Encoding.UTF8.GetString(response.ToArray()), context.Response.Headers);
    }
}
