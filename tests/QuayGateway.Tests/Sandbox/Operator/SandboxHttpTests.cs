using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using QuayGateway.Sandbox;
using QuayGateway.Sandbox.Operator;
using static QuayGateway.Tests.Sandbox.Operator.OperatorHarness;

namespace QuayGateway.Tests.Sandbox.Operator;

/// <summary>
/// The operator and the Quay API inside a running <see cref="SandboxCluster"/>, over real HTTP: the Kubernetes API on
/// the sandbox port, and each registry's Quay over HTTPS through that port as a proxy (<c>CONNECT</c>), trusting
/// only the sandbox's CA.
/// </summary>
public sealed class SandboxHttpTests : IAsyncLifetime
{
    private const string Namespace = "quay-enterprise";
    private readonly string _directory = Directory.CreateTempSubdirectory("qg-sandbox-operator-").FullName;
    private SandboxCluster _cluster = null!;
    private X509Certificate2 _ca = null!;
    private HttpClient Http { get; set; } = null!;
    private HttpClient QuayHttp { get; set; } = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync(new SandboxOptions
        {
            PhaseDelay = TimeSpan.FromMilliseconds(80),
            KubeconfigPath = Path.Combine(_directory, "kubeconfig"),
        });
        Http = _cluster.CreateApiClient();
        _ca = X509Certificate2.CreateFromPem(_cluster.QuayCaPem);
        QuayHttp = new HttpClient(new HttpClientHandler
        {
            Proxy = new WebProxy(_cluster.QuayProxyUrl),
            UseProxy = true,
            ServerCertificateCustomValidationCallback = (_, leaf, _, errors) =>
                leaf is not null && (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && ChainsToCa(leaf, _ca),
        }) { Timeout = TimeSpan.FromSeconds(20) };
        (await Http.PostAsJsonAsync("/api/v1/namespaces", new { apiVersion = "v1", kind = "Namespace", metadata = new { name = Namespace } })).EnsureSuccessStatusCode();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        QuayHttp.Dispose();
        await _cluster.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_registry_created_over_http_rolls_out_and_its_quay_api_answers_over_https_on_its_route_host()
    {
        await CreateBundleAndRegistry();
        var registry = await WaitFor(r => Text(Condition(r, "Available")?["status"]) == "True");

        var host = new Uri(Text(registry["status"]!["registryEndpoint"])!).Host;
        using var initialize = await Quay(HttpMethod.Post, host, "/api/v1/user/initialize",
            JsonContent.Create(new { username = "quayadmin", password = "quaypass123", email = "quayadmin@example.com", access_token = true }));
        Assert.Equal(HttpStatusCode.OK, initialize.StatusCode);
        var token = (await initialize.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();

        using var users = await Quay(HttpMethod.Get, host, "/api/v1/superuser/users/", token: token);
        Assert.True((await users.Content.ReadFromJsonAsync<JsonObject>())!["users"]![0]!["super_user"]!.GetValue<bool>());

        using var advance = await Http.PostAsync("/sandbox/clock/advance?seconds=9000", null);
        advance.EnsureSuccessStatusCode();
        using var expired = await Quay(HttpMethod.Post, host, "/api/v1/organization/", JsonContent.Create(new { name = "testorg", email = "testorg@example.com" }), token);
        Assert.Equal(HttpStatusCode.Forbidden, expired.StatusCode);
        Assert.Equal("{\"error\": \"CSRF token was invalid or missing.\"}", await expired.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Faults_are_injected_through_the_admin_api_and_the_sandbox_faults_object()
    {
        await CreateBundleAndRegistry();
        var registry = await WaitFor(r => Text(Condition(r, "Available")?["status"]) == "True");
        var host = new Uri(Text(registry["status"]!["registryEndpoint"])!).Host;

        using var crash = await Http.PostAsJsonAsync("/sandbox/faults/operator/crash-loop", new { component = "quay" });
        crash.EnsureSuccessStatusCode();
        await WaitFor(r => Text(Condition(r, "ComponentQuayReady")?["status"]) == "False");
        using var clear = await Http.DeleteAsync("/sandbox/faults/operator");
        clear.EnsureSuccessStatusCode();
        await WaitFor(r => Text(Condition(r, "Available")?["status"]) == "True");

        _cluster.Faults.QuayApi.AddError(new QuayGateway.Sandbox.Faults.QuayApiErrorFault(500, 1.0, "/health"));
        using var failing = await Quay(HttpMethod.Get, host, "/health/instance");
        Assert.Equal(HttpStatusCode.InternalServerError, failing.StatusCode);
        var listed = await Http.GetFromJsonAsync<JsonObject>("/sandbox/faults/quay-api");
        Assert.Equal(500, listed!["errors"]![0]!["statusCode"]!.GetValue<int>());
        _cluster.Faults.QuayApi.Clear();
        using var healthy = await Quay(HttpMethod.Get, host, "/health/instance");
        Assert.Equal(HttpStatusCode.OK, healthy.StatusCode);
        Assert.Same(_cluster.Quay.OperatorFaults, _cluster.Faults.Operator);
    }

    [Fact]
    public async Task Kubectl_shows_the_pods_with_ready_status_and_restarts()
    {
        await CreateBundleAndRegistry();
        await WaitFor(r => Text(Condition(r, "Available")?["status"]) == "True");

        var output = await Kubectl("get", "pods", "-n", Namespace);

        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE", lines[0]);
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^example-registry-quay-app-[0-9a-f]{10}-\w{5}\s+1/1\s+Running\s+0\s"));
        Assert.Contains(lines, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^example-registry-quay-app-upgrade-\w{5}\s+0/1\s+Completed\s+0\s"));
        Assert.Equal(11, lines.Length);

        var hpas = (await Kubectl("get", "hpa", "-n", Namespace)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, hpas.Length);
        Assert.Contains(hpas, l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^example-registry-clair-app\s+Deployment/example-registry-clair-app\s+.*\d+%/90%.*\s2\s+10\s+2\s"));
    }

    [Fact]
    public async Task A_registry_created_over_http_is_seen_by_the_operator()
    {
        await CreateBundleAndRegistry(overHttp: true);

        await WaitFor(r => Text(Condition(r, "Available")?["status"]) == "True");
    }

    /// <summary>
    /// The bundle and the registry, created through the store by default: the operator's HTTP-facing surfaces are
    /// what the other tests check; the test above creates them over HTTP.
    /// </summary>
    private async Task CreateBundleAndRegistry(bool overHttp = false)
    {
        var secret = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "init-config-bundle-secret", ["namespace"] = Namespace },
            ["stringData"] = new JsonObject { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\nSUPER_USERS:\n- quayadmin\n" },
        };
        var registry = new JsonObject
        {
            ["apiVersion"] = "quay.redhat.com/v1",
            ["kind"] = "QuayRegistry",
            ["metadata"] = new JsonObject { ["name"] = "example-registry", ["namespace"] = Namespace },
            ["spec"] = new JsonObject { ["configBundleSecret"] = "init-config-bundle-secret" },
        };
        if (overHttp)
        {
            (await Http.PostAsJsonAsync($"/api/v1/namespaces/{Namespace}/secrets", secret)).EnsureSuccessStatusCode();
            (await Http.PostAsJsonAsync($"/apis/quay.redhat.com/v1/namespaces/{Namespace}/quayregistries", registry)).EnsureSuccessStatusCode();
        }
        else
        {
            _cluster.Store.Create("secrets", Namespace, secret);
            _cluster.Store.Create("quayregistries", Namespace, registry);
        }
    }

    private async Task<JsonObject> WaitFor(Func<JsonObject, bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var registry = (await Http.GetFromJsonAsync<JsonObject>($"/apis/quay.redhat.com/v1/namespaces/{Namespace}/quayregistries/example-registry"))!;
            if (condition(registry))
            {
                return registry;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), registry.ToJsonString());
            await Task.Delay(20);
        }
    }

    /// <summary>
    /// A request to the registry's Quay at <c>https://host/path</c>, through the sandbox port as the proxy. No Host
    /// header of its own: .NET would send it as the SNI, and the URI already names the host.
    /// </summary>
    private Task<HttpResponseMessage> Quay(HttpMethod method, string host, string path, HttpContent? body = null, string? token = null)
    {
        var request = new HttpRequestMessage(method, new Uri($"https://{host}{path}")) { Content = body };
        if (token is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return QuayHttp.SendAsync(request);
    }

    private static bool ChainsToCa(X509Certificate2 leaf, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    private async Task<string> Kubectl(params string[] args)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(Path.Combine(_directory, "kubeconfig"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, error);
        return output;
    }
}
