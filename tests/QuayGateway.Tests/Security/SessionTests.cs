using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tenants;
using QuayGateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QuayGateway.Tests.Security;

/// <summary>
/// People in browsers, with the API key form (<c>Gateway:Auth:ApiKeySignIn</c>): the session cookie and what it may do,
/// signing out, revocation, and the job dashboard's redirect, page and refusal. Cookies are kept by hand, as a browser
/// keeps them (the test server speaks http; the cookie is Secure outside Development).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SessionTests(GatewayFixture gateway, ITestOutputHelper output)
{
    private readonly HttpClient _browser = gateway.Client(apiKey: null);

    [Fact]
    public async Task Signing_in_with_a_key_sets_a_bounded_HttpOnly_Secure_Lax_session_cookie_and_goes_back()
    {
        var key = await gateway.CreateKeyAsync("sess-cookie", Scopes.RegistriesRead);
        var jar = new BrowserCookies();

        using var signedIn = await SignInAsync(jar, key, "/v1/registries?limit=5");

        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
        Assert.Equal("/v1/registries?limit=5", signedIn.Headers.Location!.OriginalString);
        var cookie = Assert.Single(jar.SetCookies, c => c.StartsWith(SessionAuthenticationHandler.CookieName + "=", StringComparison.Ordinal));
        Assert.Contains("httponly", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("secure", cookie, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("samesite=lax", cookie, StringComparison.OrdinalIgnoreCase);
        var expires = DateTimeOffset.Parse(cookie.Split(';').Select(p => p.Trim()).Single(p => p.StartsWith("expires=", StringComparison.OrdinalIgnoreCase))[8..]);
        Assert.InRange(expires, DateTimeOffset.UtcNow.AddHours(7), DateTimeOffset.UtcNow.AddHours(8).AddMinutes(1));
        // The database keeps only a hash of the cookie's token.
        var token = jar[SessionAuthenticationHandler.CookieName]!;
        Assert.True(await gateway.WithDbAsync(db => Task.FromResult(db.BrowserSessions.Any(s => s.TokenHash == SessionAuthenticationHandler.Hash(token)))));
        Assert.False(await gateway.WithDbAsync(db => Task.FromResult(db.BrowserSessions.Any(s => s.Subject == token))));
    }

    [Fact]
    public async Task The_cookie_authenticates_reads_but_never_an_API_write()
    {
        var tenant = "sess-rw-" + Guid.NewGuid().ToString("N")[..8];
        var key = await gateway.CreateKeyAsync(tenant, Scopes.RegistriesRead, Scopes.RegistriesWrite);
        var jar = new BrowserCookies();
        (await SignInAsync(jar, key, "/swagger")).Dispose();

        using var read = await jar.GetAsync(_browser, "/v1/registries");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);

        // A cross-site form or fetch carries the cookie; the write is refused as if no credential came.
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/registries")
        {
            Content = JsonContent.Create(new CreateRegistryRequest("sess-write", "sess-write")),
        };
        using var write = await jar.SendAsync(_browser, request);
        Assert.Equal(HttpStatusCode.Unauthorized, write.StatusCode);
        Assert.Equal("application/problem+json", write.Content.Headers.ContentType?.MediaType);
        Assert.Contains(write.Headers.WwwAuthenticate, h => h.Scheme == "ApiKey");
        Assert.Equal(0, await gateway.WithDbAsync(db => Task.FromResult(db.Registries.Count(r => r.Tenant == tenant))));
    }

    [Fact]
    public async Task The_cookie_opens_the_fleet_event_stream_as_EventSource_asks_for_it()
    {
        var key = await gateway.CreateKeyAsync("sess-stream-" + Guid.NewGuid().ToString("N")[..8], Scopes.RegistriesRead);
        var jar = new BrowserCookies();
        (await SignInAsync(jar, key, "/swagger")).Dispose();

        // EventSource sends no headers of its own beyond Accept, and the cookie.
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        request.Headers.Accept.ParseAdd("text/event-stream");
        using var stream = await jar.SendAsync(_browser, request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        Assert.Equal("text/event-stream", stream.Content.Headers.ContentType?.MediaType);
    }

    [Theory]
    [InlineData("Sec-Fetch-Site", "cross-site")]
    [InlineData("Sec-Fetch-Site", "same-site")]
    [InlineData("Origin", "http://attacker.example")]
    [InlineData("Origin", "null")]
    public async Task A_page_of_another_origin_cannot_sign_the_browser_out(string header, string value)
    {
        var key = await gateway.CreateKeyAsync("sess-xo-" + Guid.NewGuid().ToString("N")[..8], Scopes.RegistriesRead);
        var jar = new BrowserCookies();
        (await SignInAsync(jar, key, "/swagger")).Dispose();

        // A form on another origin's page (a neighbouring subdomain is same-site, so the Lax cookie comes along).
        var forged = new HttpRequestMessage(HttpMethod.Post, "/signout");
        forged.Headers.Add(header, value);
        using var refused = await jar.SendAsync(_browser, forged);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ProblemTypes.Forbidden, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.NotNull(jar[SessionAuthenticationHandler.CookieName]);
        using (var stillSignedIn = await jar.GetAsync(_browser, "/v1/registries"))
        {
            Assert.Equal(HttpStatusCode.OK, stillSignedIn.StatusCode);
        }

        // The gateway's own page (the browser says same-origin, and sends its origin) signs out.
        var own = new HttpRequestMessage(HttpMethod.Post, "/signout");
        own.Headers.Add("Sec-Fetch-Site", "same-origin");
        own.Headers.Add("Origin", $"http://{_browser.BaseAddress!.Authority}");
        using var signedOut = await jar.SendAsync(_browser, own);
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        using var afterwards = await jar.GetAsync(_browser, "/v1/registries");
        Assert.Equal(HttpStatusCode.Unauthorized, afterwards.StatusCode);
    }

    [Fact]
    public async Task Signing_out_or_revoking_the_key_ends_the_session()
    {
        var created = await CreateKeyAsync("sess-end", Scopes.RegistriesRead);
        var first = new BrowserCookies();
        var second = new BrowserCookies();
        (await SignInAsync(first, created.Key, "/swagger")).Dispose();
        (await SignInAsync(second, created.Key, "/swagger")).Dispose();
        var stolen = first[SessionAuthenticationHandler.CookieName]!;

        using var signedOut = await first.SendAsync(_browser, new HttpRequestMessage(HttpMethod.Post, "/signout"));
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);
        Assert.Null(first[SessionAuthenticationHandler.CookieName]);
        // The token is dead on the server too, not only forgotten by the browser.
        var replay = new HttpRequestMessage(HttpMethod.Get, "/v1/registries");
        replay.Headers.Add("Cookie", $"{SessionAuthenticationHandler.CookieName}={stolen}");
        using var replayed = await _browser.SendAsync(replay);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await second.GetAsync(_browser, "/v1/registries")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await gateway.Client().DeleteAsync($"/v1/api-keys/{created.Id}")).StatusCode);
        using var revoked = await second.GetAsync(_browser, "/v1/registries");
        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Contains(revoked.Headers.WwwAuthenticate, h => h.Scheme == "ApiKey");
    }

    [Fact]
    public async Task Signing_out_ends_the_event_stream_the_cookie_opened()
    {
        var created = await CreateKeyAsync("sess-so-" + Guid.NewGuid().ToString("N")[..8], Scopes.RegistriesRead);
        var jar = new BrowserCookies();
        (await SignInAsync(jar, created.Key, "/swagger")).Dispose();
        var (stream, ended) = await OpenStreamAsync(jar);
        using var _ = stream;
        Assert.False(ended.IsCompleted, "the stream ended before anyone signed out");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var signedOut = await jar.SendAsync(_browser, new HttpRequestMessage(HttpMethod.Post, "/signout"));
        Assert.Equal(HttpStatusCode.Redirect, signedOut.StatusCode);

        Assert.True(await Task.WhenAny(ended, Task.Delay(StreamEndBound)) == ended, "the stream of the signed-out session is still open");
        output.WriteLine($"signed out: the cookie's event stream ended after {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task Revoking_the_key_ends_the_event_stream_its_session_opened()
    {
        var created = await CreateKeyAsync("sess-rv-" + Guid.NewGuid().ToString("N")[..8], Scopes.RegistriesRead);
        var jar = new BrowserCookies();
        (await SignInAsync(jar, created.Key, "/swagger")).Dispose();
        var (stream, ended) = await OpenStreamAsync(jar);
        using var _ = stream;
        Assert.False(ended.IsCompleted, "the stream ended before the key was revoked");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Assert.Equal(HttpStatusCode.NoContent, (await gateway.Client().DeleteAsync($"/v1/api-keys/{created.Id}")).StatusCode);

        Assert.True(await Task.WhenAny(ended, Task.Delay(StreamEndBound)) == ended, "the stream of the revoked key's session is still open");
        output.WriteLine($"key revoked: its session's event stream ended after {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    [Fact]
    public async Task An_expiring_session_ends_its_event_stream_at_expiry_and_a_reconnect_is_refused()
    {
        // A gateway of its own whose sessions last a few seconds.
        await using var process = await GatewayProcess.StartAsync(gateway.ConnectionString, GatewayFixture.AdminKey,
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false",
            "--Gateway:Auth:ApiKeySignIn=true", "--Gateway:Auth:SessionLifetime=00:00:04");
        using var browser = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = new Uri(process.Url) };
        var created = await CreateKeyAsync("sess-exp-" + Guid.NewGuid().ToString("N")[..8], Scopes.RegistriesRead);
        var jar = new BrowserCookies();
        (await SignInAsync(jar, created.Key, "/swagger", browser)).Dispose();
        var token = jar[SessionAuthenticationHandler.CookieName]!;
        var expiresAt = await gateway.WithDbAsync(db => Task.FromResult(
            db.BrowserSessions.Single(s => s.TokenHash == SessionAuthenticationHandler.Hash(token)).ExpiresAt));
        var (stream, ended) = await OpenStreamAsync(jar, browser);
        using var _ = stream;
        Assert.False(ended.IsCompleted, "the stream ended before the session expired");

        Assert.True(await Task.WhenAny(ended, Task.Delay(StreamEndBound)) == ended, "the stream of the expired session is still open");
        var late = DateTimeOffset.UtcNow - expiresAt;
        output.WriteLine($"session expired: its event stream ended {late.TotalMilliseconds:F0} ms after ExpiresAt");
        Assert.InRange(late, TimeSpan.FromSeconds(-0.5), TimeSpan.FromSeconds(2));

        var again = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        again.Headers.Accept.ParseAdd("text/event-stream");
        using var reconnect = await jar.SendAsync(browser, again, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.Unauthorized, reconnect.StatusCode);
    }

    [Fact]
    public async Task A_stream_that_starts_as_its_session_reaches_expiry_is_a_401_problem_not_a_500()
    {
        // Authenticated a moment before the session's expiry, the stream starting after it: what a reconnect right at
        // expiry meets (the expiry timer can end the old stream a few ms early). It was an unhandled cancellation, a 500.
        await using var scope = gateway.Host.Services.CreateAsyncScope();
        var services = scope.ServiceProvider;
        var http = new DefaultHttpContext { RequestServices = services };
        http.Response.Body = new MemoryStream();
        var user = new ClaimsPrincipal(new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, "expiring"),
            new Claim(Scopes.TenantClaim, "sess-expiry"),
            new Claim(SessionAuthenticationHandler.SessionClaim, Convert.ToHexStringLower(SessionAuthenticationHandler.Hash(Guid.NewGuid().ToString("N")))),
            new Claim(SessionAuthenticationHandler.ExpiresClaim,
                DateTimeOffset.UtcNow.AddMilliseconds(-5).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture)),
        ], SessionAuthenticationHandler.SchemeName));

        var refused = await TimelineStream.RunAsync(http, user, services.GetRequiredService<GatewayDb>(), services.GetRequiredService<TimelineFeed>(),
            services.GetRequiredService<NpgsqlDataSource>(), services.GetRequiredService<EventStreamLeases>(),
            services.GetRequiredService<ApiKeyRevocations>(), new TimelineFilter("sess-expiry"), TimelinePosition.Start,
            JsonSerializerOptions.Web, CancellationToken.None);

        Assert.NotNull(refused);
        Assert.Equal(StatusCodes.Status401Unauthorized, refused.StatusCode);
        Assert.Equal(ProblemTypes.Unauthorized, refused.ProblemDetails.Type);
        Assert.Contains(http.Response.Headers.WWWAuthenticate, h => h!.StartsWith("ApiKey", StringComparison.Ordinal));
        Assert.Equal(0, http.Response.Body.Length);
    }

    private static readonly TimeSpan StreamEndBound = TimeSpan.FromSeconds(10);

    /// <summary>Opens <c>/v1/events</c> with only the cookie; the task completes when the server ends the body.</summary>
    private async Task<(HttpResponseMessage Stream, Task Ended)> OpenStreamAsync(BrowserCookies jar, HttpClient? browser = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
        request.Headers.Accept.ParseAdd("text/event-stream");
        var stream = await jar.SendAsync(browser ?? _browser, request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var body = await stream.Content.ReadAsStreamAsync();
        var ended = Task.Run(async () =>
        {
            var buffer = new byte[4096];
            while (await body.ReadAsync(buffer) > 0)
            {
            }
        });
        return (stream, ended);
    }

    [Fact]
    public async Task The_form_refuses_a_wrong_key_a_missing_antiforgery_token_and_a_redirect_off_the_gateway()
    {
        var jar = new BrowserCookies();
        using var wrong = await SignInAsync(jar, "qgw_000000000000_wrong", "/swagger");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("Unknown API key", await wrong.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null(jar[SessionAuthenticationHandler.CookieName]);

        var key = await gateway.CreateKeyAsync("sess-form", Scopes.RegistriesRead);
        using var forged = await new BrowserCookies().PostFormAsync(_browser, "/signin", [new("apiKey", key), new("returnUrl", "/swagger")]);
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);

        foreach (var offsite in new[] { "https://evil.example/", "//evil.example/", "/\\evil.example/" })
        {
            using var signedIn = await SignInAsync(new BrowserCookies(), key, offsite);
            Assert.Equal("/swagger", signedIn.Headers.Location!.OriginalString);
        }
    }

    [Fact]
    public async Task The_dashboard_sends_a_browser_to_sign_in_and_back_and_shows_platform_admins_the_recurring_jobs()
    {
        var jar = new BrowserCookies();
        using var redirected = await jar.GetAsync(_browser, "/hangfire/recurring", "text/html,application/xhtml+xml");
        Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
        var signIn = redirected.Headers.Location!.OriginalString;
        Assert.Equal("/signin?returnUrl=%2Fhangfire%2Frecurring", signIn);

        using var page = await jar.GetAsync(_browser, signIn, "text/html");
        var (action, fields) = BrowserCookies.Form(await page.Content.ReadAsStringAsync());
        fields["apiKey"] = GatewayFixture.AdminKey;
        using var signedIn = await jar.PostFormAsync(_browser, action, fields);
        Assert.Equal("/hangfire/recurring", signedIn.Headers.Location!.OriginalString);

        using var dashboard = await jar.GetAsync(_browser, "/hangfire/recurring", "text/html");
        Assert.Equal(HttpStatusCode.OK, dashboard.StatusCode);
        var html = await dashboard.Content.ReadAsStringAsync();
        Assert.Contains("Recurring Jobs", html, StringComparison.Ordinal);
        Assert.Contains("resync", html, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Anyone_else_gets_a_403_page_and_API_clients_keep_their_problems()
    {
        var key = await gateway.CreateKeyAsync("sess-dash", Scopes.Admin, Scopes.RegistriesRead);
        var jar = new BrowserCookies();
        (await SignInAsync(jar, key, "/hangfire")).Dispose();

        using var forbidden = await jar.GetAsync(_browser, "/hangfire", "text/html");
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("text/html", forbidden.Content.Headers.ContentType?.MediaType);
        Assert.Contains("platform:admin", await forbidden.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var anonymous = await _browser.GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);
        Assert.Contains(anonymous.Headers.WwwAuthenticate, h => h.Scheme == "ApiKey");

        using var withKey = await gateway.Client(key).GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.Forbidden, withKey.StatusCode);
        Assert.Equal("application/problem+json", withKey.Content.Headers.ContentType?.MediaType);
    }

    private async Task<HttpResponseMessage> SignInAsync(BrowserCookies jar, string key, string returnUrl, HttpClient? browser = null)
    {
        using var page = await jar.GetAsync(browser ?? _browser, "/signin?returnUrl=" + Uri.EscapeDataString(returnUrl), "text/html");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var (action, fields) = BrowserCookies.Form(await page.Content.ReadAsStringAsync());
        fields["apiKey"] = key;
        return await jar.PostFormAsync(browser ?? _browser, action, fields);
    }

    private async Task<CreatedApiKeyResponse> CreateKeyAsync(string tenant, params string[] scopes)
    {
        using var response = await gateway.Client().PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest($"test-{tenant}", scopes, tenant));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!;
    }
}
