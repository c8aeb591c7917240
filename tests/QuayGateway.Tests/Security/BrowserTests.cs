using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuayGateway.DevServices;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QuayGateway.Tests.Security;

/// <summary>
/// The system Chromium (Debian's <c>chromium</c>, driven headless by <c>Security/node/browser.mjs</c> with
/// puppeteer-core) against one gateway process on <c>127.0.0.1</c> and the test OIDC provider on <c>localhost</c>, so
/// the sign-in redirects are cross-site as in production: the job dashboard's redirect and recurring jobs page, Swagger
/// UI's OAuth2 sign-in and a request made from it, a page following <c>/v1/events</c> with <c>EventSource</c>, and
/// signing out at the gateway and the provider (RP-initiated logout).
/// A failing step leaves screenshots in <see cref="BrowserHost.Screenshots"/> (<c>.ci/results/screenshots</c>).
/// </summary>
public sealed class BrowserTests(BrowserHost host, ITestOutputHelper output) : IClassFixture<BrowserHost>
{
    [Fact]
    public async Task The_dashboard_sends_a_stranger_to_sign_in_and_back_to_the_recurring_jobs()
    {
        var result = await host.RunAsync(output, "hangfire", new { person = "root" });

        Assert.Contains(result["visited"]!.AsArray(), v => v!.GetValue<string>().StartsWith($"302 {host.Gateway.Url}/signin", StringComparison.Ordinal));
        Assert.StartsWith(host.Gateway.Url + "/hangfire", result["landed"]!.GetValue<string>(), StringComparison.Ordinal);
        var jobs = result["jobs"]!.AsArray().Select(j => j!.GetValue<string>()).ToList();
        Assert.Contains(QuayGateway.Rollout.ResyncJob.RecurringId, jobs);
        Assert.Contains(QuayGateway.Webhooks.Delivery.WebhookSweepJob.RecurringId, jobs);
    }

    [Fact]
    public async Task Swagger_UI_signs_in_with_the_provider_and_creates_a_registry_with_the_example()
    {
        var name = "swagger-" + Guid.NewGuid().ToString("N")[..8];
        var result = await host.RunAsync(output, "swagger", new { person = "alice", registryName = name });

        Assert.Equal("202", result["status"]!.GetValue<string>());
        Assert.Contains("\"name\"", result["example"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_page_follows_a_registry_from_Accepted_to_Ready_with_EventSource_and_the_session_cookie()
    {
        var name = "live-" + Guid.NewGuid().ToString("N")[..8];
        var token = await host.Provider.TokenAsync("acme-portal", "registries:read registries:write");
        var result = await host.RunAsync(output, "live", new { person = "alice", registryName = name, writeToken = token });

        Assert.Equal(202, result["created"]!.GetValue<int>());
        var states = result["states"]!.AsArray().Select(s => s!.GetValue<string>()).ToList();
        Assert.Equal("Accepted", states[0]);
        Assert.Equal("Ready", states[^1]);
    }

    [Fact]
    public async Task Signing_out_ends_the_session_on_the_gateway_and_at_the_provider()
    {
        var result = await host.RunAsync(output, "signout", new { person = "alice", cookieName = SessionAuthenticationHandler.CookieName });

        // Before: the provider's own session lets a second sign-in through without a password (what sign-out must end).
        Assert.False(result["before"]!["askedForLogin"]!.GetValue<bool>(), "the provider asked for a password before anyone signed out");
        Assert.StartsWith(host.Gateway.Url + "/v1/registries", result["before"]!["url"]!.GetValue<string>(), StringComparison.Ordinal);

        // The gateway sent the browser to the provider's end_session_endpoint with the ID token as hint.
        var logout = result["logout"]!;
        Assert.Equal(host.Provider.Issuer + "/session/end", logout["at"]!.GetValue<string>());
        var parameters = logout["params"]!.AsArray().Select(p => p!.GetValue<string>()).ToList();
        Assert.Contains("id_token_hint", parameters);
        Assert.Equal(host.Gateway.Url + "/signout-callback-oidc", logout["postLogoutRedirectUri"]!.GetValue<string>());
        Assert.Equal(host.Gateway.Url + "/signed-out", result["signedOut"]!["url"]!.GetValue<string>());
        Assert.Equal("ended", result["signedOut"]!["provider"]!.GetValue<string>());

        // (a) The gateway's session is gone: the browser's reads are refused, and so is the old cookie sent again.
        Assert.Equal(401, result["readAfter"]!.GetValue<int>());
        var cookie = result["cookie"]!.GetValue<string>();
        using var http = new HttpClient { BaseAddress = new Uri(host.Gateway.Url) };
        var replay = new HttpRequestMessage(HttpMethod.Get, "/v1/registries");
        replay.Headers.Add("Cookie", $"{SessionAuthenticationHandler.CookieName}={cookie}");
        using var replayed = await http.SendAsync(replay);
        Assert.Equal(HttpStatusCode.Unauthorized, replayed.StatusCode);

        // (b) The provider's session is gone: signing in again asks for credentials.
        Assert.True(result["after"]!["askedForLogin"]!.GetValue<bool>(), $"signing in after signing out did not ask for credentials (at {result["after"]!["url"]})");
    }
}

/// <summary>One provider and one gateway (with its job server and an in-process sandbox cluster) for all browser tests.</summary>
public sealed class BrowserHost : IAsyncLifetime
{
    private const string AdminKey = "qgw-browser-test-admin-key";
    private DevPostgres _postgres = null!;

    public OidcProvider Provider { get; private set; } = null!;

    public GatewayProcess Gateway { get; private set; } = null!;

    /// <summary>Where failing steps leave their screenshots: <c>QG_SCREENSHOTS</c>, else <c>.ci/results/screenshots</c>.</summary>
    public static string Screenshots =>
        Environment.GetEnvironmentVariable("QG_SCREENSHOTS") is { Length: > 0 } dir
            ? dir
            : Path.GetFullPath(Path.Combine(OidcProvider.Folder, "..", "..", "..", "..", ".ci", "results", "screenshots"));

    public async Task InitializeAsync()
    {
        if (!Directory.Exists(Path.Combine(OidcProvider.Folder, "node_modules", "puppeteer-core")))
        {
            throw new InvalidOperationException($"puppeteer-core is not installed: run `npm ci` in {OidcProvider.Folder} (.ci/run does).");
        }

        _postgres = await DevPostgres.StartThrowawayAsync();
        var port = GatewayProcess.FreePort();
        var url = $"http://127.0.0.1:{port}";
        Provider = await OidcProvider.StartAsync([url + "/signin-oidc"], [url + "/swagger/oauth2-redirect.html"], [url + "/signout-callback-oidc"]);
        Gateway = await GatewayProcess.StartOnPortAsync(port, _postgres.ConnectionString, AdminKey,
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:DefaultCluster=sandbox",
            $"--Gateway:Auth:Oidc:Authority={Provider.Issuer}", "--Gateway:Auth:Oidc:Audience=quay-gateway",
            "--Gateway:Auth:Oidc:ClientId=gateway", "--Gateway:Auth:Oidc:ClientSecret=gateway-secret",
            "--Gateway:Auth:Oidc:SwaggerUiClientId=swagger-ui",
            "--Gateway:Auth:Oidc:TenantClaim=org", "--Gateway:Auth:Oidc:ScopeClaim=permissions",
            "--Gateway:Auth:Oidc:RequireHttpsMetadata=false");
    }

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

        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    /// <summary>Runs one scenario of <c>browser.mjs</c>; fails with its step, error, screenshots and the gateway's log.</summary>
    public async Task<JsonNode> RunAsync(ITestOutputHelper output, string scenario, object settings)
    {
        var arguments = JsonSerializer.SerializeToNode(settings)!.AsObject();
        arguments["scenario"] = scenario;
        arguments["gateway"] = Gateway.Url;
        arguments["issuer"] = Provider.Issuer;
        arguments["screenshots"] = Screenshots;
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = OidcProvider.Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("browser.mjs");
        start.ArgumentList.Add(arguments.ToJsonString());
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = await process.StandardOutput.ReadToEndAsync().WaitAsync(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync();
        output.WriteLine($"{scenario}: {clock.Elapsed.TotalSeconds:0.0} s");
        var line = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault();
        var result = line is null ? null : JsonNode.Parse(line);
        if (result?["ok"]?.GetValue<bool>() != true)
        {
            Assert.Fail($"browser scenario {scenario} failed (exit {process.ExitCode}):\n{stdout}\n{await stderr}\n--- gateway:\n{Gateway.Output}");
        }

        output.WriteLine(result!.ToJsonString());
        return result;
    }
}
