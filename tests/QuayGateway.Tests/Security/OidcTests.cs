using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Security;

/// <summary>
/// The gateway against a real OpenID Connect provider (<see cref="OidcProvider"/>, node-oidc-provider on
/// <c>localhost</c>; the gateway is a process on <c>127.0.0.1</c>). Bearer tokens carry the tenant and the scopes in
/// the configured claims (<c>org</c>, <c>permissions</c>); expired, foreign, mis-addressed and wrongly signed tokens
/// are 401 problems; the served document offers Swagger UI's sign-in; and people sign in with the code flow (PKCE)
/// into a session cookie.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OidcTests(GatewayFixture fixture, OidcHost host) : IAsyncLifetime, IClassFixture<OidcHost>
{
    private OidcProvider Provider => host.Provider;

    private GatewayProcess Gateway => host.Gateway;

    public Task InitializeAsync() => host.StartOnceAsync(fixture.ConnectionString);

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Bearer_tokens_from_theProvider_act_for_the_tenant_and_scopes_in_the_configured_claims()
    {
        var writer = await Provider.TokenAsync("acme-portal");
        var reader = await Provider.TokenAsync("acme-reader");
        var name = "oidc-" + Guid.NewGuid().ToString("N")[..10];

        using var created = await SendAsync(HttpMethod.Post, "/v1/registries", writer, new CreateRegistryRequest(name, "oidc-team"));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var stored = await fixture.WithDbAsync(db => Task.FromResult(db.Registries.Single(r => r.Name == name)));
        Assert.Equal("oidc-acme", stored.Tenant);

        using var listed = await SendAsync(HttpMethod.Get, "/v1/registries", reader);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
        Assert.Contains(name, await listed.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var refused = await SendAsync(HttpMethod.Post, "/v1/registries", reader, new CreateRegistryRequest(name + "x", "oidc-team"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }

    [Fact]
    public async Task Expired_foreign_misaddressed_and_wrongly_signed_tokens_are_401_problems()
    {
        var expiring = await Provider.TokenAsync("expiring");
        var tokens = new Dictionary<string, string>
        {
            ["wrong audience"] = await Provider.TokenAsync("wrong-audience"),
            ["wrong issuer"] = await OidcProvider.TokenAsync(Provider.Other, "acme-portal"),
            ["wrongly signed"] = await OidcProvider.TokenAsync(Provider.Impostor, "acme-portal"),
            ["no tenant claim"] = await Provider.TokenAsync("no-tenant"),
            ["not a token"] = "eyJhbGciOiJub25lIn0.eyJvcmciOiJvaWRjLWFjbWUifQ.",
        };
        await Task.Delay(TimeSpan.FromSeconds(2.5)); // a lifetime of 1 s, no clock skew allowed here
        tokens["expired"] = expiring;

        foreach (var (what, token) in tokens)
        {
            using var response = await SendAsync(HttpMethod.Get, "/v1/registries", token);
            Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, $"{what}: {(int)response.StatusCode}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("https://quaygateway.dev/problems/unauthorized", problem["type"]!.GetValue<string>());
            Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
        }

        // The same provider's valid token still works: the refusals were the tokens' own.
        using var ok = await SendAsync(HttpMethod.Get, "/v1/registries", await Provider.TokenAsync("acme-reader"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task The_served_document_offers_Swagger_UI_theProviders_authorization_code_sign_in()
    {
        using var http = new HttpClient { BaseAddress = new Uri(Gateway.Url) };
        var document = JsonNode.Parse(await http.GetStringAsync("/swagger/v1/swagger.json"))!;
        var schemes = document["components"]!["securitySchemes"]!;
        Assert.Equal("bearer", schemes["Bearer"]!["scheme"]!.GetValue<string>());
        var code = schemes["OAuth2"]!["flows"]!["authorizationCode"]!;
        Assert.Equal(Provider.Issuer + "/auth", code["authorizationUrl"]!.GetValue<string>());
        Assert.Equal(Provider.Issuer + "/token", code["tokenUrl"]!.GetValue<string>());
        var create = document["paths"]!["/v1/registries"]!["post"]!["security"]!.AsArray();
        Assert.Contains(create, s => s!["OAuth2"] is not null);
        Assert.Contains(create, s => s!["Bearer"] is not null);

        var ui = await http.GetStringAsync("/swagger/index.js");
        Assert.Contains("swagger-ui", ui, StringComparison.Ordinal);
        Assert.Contains("\"usePkceWithAuthorizationCodeGrant\":true", ui, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_person_signs_in_with_the_code_flow_and_comes_back_to_the_dashboard()
    {
        var (root, landed) = await SignInAsync("root", "/hangfire/recurring");
        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Contains("Recurring Jobs", await landed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var cookie = Assert.Single(root.SetCookies, c => c.StartsWith(SessionAuthenticationHandler.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);

        var (alice, aliceLanded) = await SignInAsync("alice", "/hangfire");
        Assert.Equal(HttpStatusCode.Forbidden, aliceLanded.StatusCode);
        using var http = new HttpClient { BaseAddress = new Uri(Gateway.Url) };
        using var reads = await alice.GetAsync(http, "/v1/registries");
        Assert.Equal(HttpStatusCode.OK, reads.StatusCode);
        using var write = await alice.SendAsync(http, new HttpRequestMessage(HttpMethod.Post, "/v1/registries")
        {
            Content = JsonContent.Create(new CreateRegistryRequest("oidc-cookie", "oidc-team")),
        });
        Assert.Equal(HttpStatusCode.Unauthorized, write.StatusCode);

        using var signedOut = await alice.SendAsync(http, new HttpRequestMessage(HttpMethod.Post, "/signout"));
        using var after = await alice.GetAsync(http, "/v1/registries");
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Signing_out_ends_the_event_stream_an_OIDC_session_opened()
    {
        var (alice, _) = await SignInAsync("alice", "/hangfire");
        using var http = new HttpClient { BaseAddress = new Uri(Gateway.Url), Timeout = Timeout.InfiniteTimeSpan };
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var stream = await alice.SendAsync(http, request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var body = await stream.Content.ReadAsStreamAsync();
        var ended = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (await body.ReadAsync(buffer) > 0)
            {
            }
        });
        Assert.False(ended.IsCompleted, "the stream ended before anyone signed out");

        using var signedOut = await alice.SendAsync(http, new HttpRequestMessage(HttpMethod.Post, "/signout"));

        Assert.True(await Task.WhenAny(ended, Task.Delay(TimeSpan.FromSeconds(10))) == ended, "the OIDC session's stream is still open");
    }

    [Fact]
    public async Task The_session_keeps_the_ID_token_encrypted_and_sign_out_sends_it_to_theProvider_as_hint()
    {
        var jars = new Dictionary<string, BrowserCookies>(StringComparer.Ordinal);
        var (alice, _) = await SignInAsync("alice", "/signin?returnUrl=/v1/registries", jars);
        var hash = SessionAuthenticationHandler.Hash(alice[SessionAuthenticationHandler.CookieName]!);
        var stored = await fixture.WithDbAsync(db => Task.FromResult(
            db.BrowserSessions.Where(s => s.TokenHash == hash).Select(s => s.ProtectedIdToken).Single()));
        Assert.False(string.IsNullOrEmpty(stored), "the OIDC session kept no ID token");

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(Gateway.Url) };
        using var signedOut = await alice.SendAsync(http, new HttpRequestMessage(HttpMethod.Post, "/signout"));

        // The browser goes to the provider's end_session_endpoint, with the ID token as hint and the way back.
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        var logout = signedOut.Headers.Location!;
        Assert.Equal(Provider.Issuer + "/session/end", logout.GetLeftPart(UriPartial.Path));
        var query = System.Web.HttpUtility.ParseQueryString(logout.Query);
        Assert.Equal(Gateway.Url + SignInApi.SignedOutCallbackPath, query["post_logout_redirect_uri"]);
        var idToken = query["id_token_hint"]!;
        var segments = idToken.Split('.');
        Assert.Equal(3, segments.Length);
        var claims = JsonNode.Parse(Base64UrlDecode(segments[1]))!;
        Assert.Equal("alice", claims["sub"]!.GetValue<string>());
        Assert.Equal("gateway", claims["aud"]!.GetValue<string>());

        // What the database held is not that token, nor any part of it: it is encrypted.
        Assert.DoesNotContain(idToken, stored, StringComparison.Ordinal);
        Assert.All(segments, segment => Assert.DoesNotContain(segment, stored, StringComparison.Ordinal));
        Assert.DoesNotContain("eyJ", stored, StringComparison.Ordinal);

        // The row is gone at once; the provider's confirmation brings the browser back to /signed-out.
        Assert.False(await fixture.WithDbAsync(db => Task.FromResult(db.BrowserSessions.Any(s => s.TokenHash == hash))));
        var (_, landed) = await BrowseAsync(jars, new HttpRequestMessage(HttpMethod.Get, logout), "alice");
        Assert.Equal(HttpStatusCode.OK, landed.StatusCode);
        Assert.Equal(Gateway.Url + SignInApi.SignedOutPath, landed.RequestMessage!.RequestUri!.ToString());
        Assert.Contains("data-provider=\"ended\"", await landed.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_session_without_an_ID_token_signs_out_here_and_says_theProvider_was_not_asked()
    {
        // An OIDC session from before the gateway kept ID tokens.
        var token = Guid.NewGuid().ToString("N");
        var hash = SessionAuthenticationHandler.Hash(token);
        await fixture.WithDbAsync(async db =>
        {
            db.BrowserSessions.Add(new BrowserSession
            {
                TokenHash = hash, Tenant = "oidc-acme", Scopes = [Scopes.RegistriesRead], Subject = "alice",
                CreatedAt = DateTimeOffset.UtcNow, ExpiresAt = DateTimeOffset.UtcNow.AddHours(1),
            });
            return await db.SaveChangesAsync();
        });
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(Gateway.Url) };
        var request = new HttpRequestMessage(HttpMethod.Post, "/signout");
        request.Headers.Add("Cookie", $"{SessionAuthenticationHandler.CookieName}={token}");

        using var signedOut = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(SignInApi.SignedOutPath + "?provider=no-token", signedOut.Headers.Location!.OriginalString);
        Assert.False(await fixture.WithDbAsync(db => Task.FromResult(db.BrowserSessions.Any(s => s.TokenHash == hash))));
        var page = await http.GetStringAsync(signedOut.Headers.Location);
        Assert.Contains("data-provider=\"kept\"", page, StringComparison.Ordinal);
        Assert.Contains("holds no ID token", page, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_aProvider_that_offers_no_sign_out_the_session_ends_here_and_the_page_says_so()
    {
        var port = GatewayProcess.FreePort();
        var gatewayUrl = $"http://127.0.0.1:{port}";
        await using var provider = await OidcProvider.StartAsync([gatewayUrl + "/signin-oidc"], rpInitiatedLogout: false);
        await using var gateway = await GatewayProcess.StartOnPortAsync(port, fixture.ConnectionString, GatewayFixture.AdminKey,
            OidcHost.Settings(provider.Issuer));
        var (alice, _) = await BrowseAsync(new Dictionary<string, BrowserCookies>(StringComparer.Ordinal),
            new HttpRequestMessage(HttpMethod.Get, gatewayUrl + "/signin?returnUrl=/v1/registries"), "alice", gatewayUrl);
        var hash = SessionAuthenticationHandler.Hash(alice[SessionAuthenticationHandler.CookieName]!);
        Assert.True(await fixture.WithDbAsync(db => Task.FromResult(db.BrowserSessions.Any(s => s.TokenHash == hash && s.ProtectedIdToken != null))));

        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(gatewayUrl) };
        using var signedOut = await alice.SendAsync(http, new HttpRequestMessage(HttpMethod.Post, "/signout"));

        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Equal(SignInApi.SignedOutPath + "?provider=unsupported", signedOut.Headers.Location!.OriginalString);
        Assert.False(await fixture.WithDbAsync(db => Task.FromResult(db.BrowserSessions.Any(s => s.TokenHash == hash))));
        var page = await http.GetStringAsync(signedOut.Headers.Location);
        Assert.Contains("end_session_endpoint", page, StringComparison.Ordinal);
    }

    private static string Base64UrlDecode(string segment) =>
        System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(segment.Replace('-', '+').Replace('_', '/').PadRight((segment.Length + 3) / 4 * 4, '=')));

    /// <summary>
    /// As a browser: the dashboard sends it to /signin, that to the provider (another host), whose login and consent
    /// forms it fills, and the provider back to the gateway, which sets the session and returns to the dashboard.
    /// </summary>
    private Task<(BrowserCookies Gateway, HttpResponseMessage Landed)> SignInAsync(string person, string page, Dictionary<string, BrowserCookies>? jars = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(Gateway.Url), page));
        return BrowseAsync(jars ?? new Dictionary<string, BrowserCookies>(StringComparer.Ordinal), request, person);
    }

    /// <summary>Follows redirects and fills the provider's forms (login, consent, sign-out confirmation) until a gateway page.</summary>
    private async Task<(BrowserCookies Gateway, HttpResponseMessage Landed)> BrowseAsync(
        Dictionary<string, BrowserCookies> jars, HttpRequestMessage request, string person, string? gatewayUrl = null)
    {
        gatewayUrl ??= Gateway.Url;
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false });
        request.Headers.Accept.ParseAdd("text/html");
        for (var hop = 0; hop < 20; hop++)
        {
            var jar = Jar(jars, request.RequestUri!);
            var response = await jar.SendAsync(http, request);
            if (response.Headers.Location is { } location)
            {
                request = new HttpRequestMessage(HttpMethod.Get, new Uri(request.RequestUri!, location));
                request.Headers.Accept.ParseAdd("text/html");
                continue;
            }

            var html = await response.Content.ReadAsStringAsync();
            // The provider's pages (login, then consent) are forms to fill and send.
            if (response.StatusCode == HttpStatusCode.OK && request.RequestUri!.Authority != new Uri(gatewayUrl).Authority
                && html.Contains("<form", StringComparison.Ordinal))
            {
                var (action, fields) = BrowserCookies.Form(html);
                if (fields.ContainsKey("login"))
                {
                    fields["login"] = person;
                    fields["password"] = "any";
                }

                request = new HttpRequestMessage(HttpMethod.Post, new Uri(request.RequestUri!, action)) { Content = new FormUrlEncodedContent(fields) };
                continue;
            }

            return (Jar(jars, new Uri(gatewayUrl)), response);
        }

        throw new InvalidOperationException("The browsing did not end within 20 hops.");
    }

    private static BrowserCookies Jar(Dictionary<string, BrowserCookies> jars, Uri uri)
    {
        if (!jars.TryGetValue(uri.Authority, out var jar))
        {
            jars[uri.Authority] = jar = new BrowserCookies();
        }

        return jar;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string token, object? body = null)
    {
        using var http = new HttpClient { BaseAddress = new Uri(Gateway.Url) };
        var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.SendAsync(request);
    }
}

/// <summary>
/// One provider and one gateway for all <see cref="OidcTests"/>: the first test starts them (they need the shared
/// database, which a class fixture cannot be given), the class's end stops them. Starting them per test put eight node
/// and eight gateway starts into every run, and one of them, on a loaded CI machine, was the run's only failure.
/// </summary>
public sealed class OidcHost : IAsyncLifetime
{
    public OidcProvider Provider { get; private set; } = null!;

    public GatewayProcess Gateway { get; private set; } = null!;

    /// <summary>A gateway with no job server nor watches that trusts <paramref name="issuer"/> as the tests' provider.</summary>
    public static string[] Settings(string issuer) =>
    [
        "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false",
        $"--Gateway:Auth:Oidc:Authority={issuer}", "--Gateway:Auth:Oidc:Audience=quay-gateway",
        "--Gateway:Auth:Oidc:ClientId=gateway", "--Gateway:Auth:Oidc:ClientSecret=gateway-secret",
        "--Gateway:Auth:Oidc:TenantClaim=org", "--Gateway:Auth:Oidc:ScopeClaim=permissions",
        "--Gateway:Auth:Oidc:RequireHttpsMetadata=false",
    ];

    /// <summary>Starts both unless started: a class's tests run one after another, so no lock is needed.</summary>
    public async Task StartOnceAsync(string connectionString)
    {
        if (Gateway is not null)
        {
            return;
        }

        var port = GatewayProcess.FreePort();
        var gatewayUrl = $"http://127.0.0.1:{port}";
        var provider = await OidcProvider.StartAsync([gatewayUrl + "/signin-oidc"], [gatewayUrl + "/swagger/oauth2-redirect.html"],
            [gatewayUrl + SignInApi.SignedOutCallbackPath]);
        try
        {
            Gateway = await GatewayProcess.StartOnPortAsync(port, connectionString, GatewayFixture.AdminKey,
                [.. Settings(provider.Issuer), "--Gateway:Auth:Oidc:SwaggerUiClientId=swagger-ui", "--Gateway:Auth:Oidc:ClockSkew=00:00:00"]);
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }

        Provider = provider;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (Gateway is not null)
        {
            await Gateway.DisposeAsync();
        }

        if (Provider is not null)
        {
            await Provider.DisposeAsync();
        }
    }
}
