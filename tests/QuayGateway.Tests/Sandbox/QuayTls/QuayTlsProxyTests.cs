using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Sandbox;
using QuayGateway.Sandbox.Operator;

namespace QuayGateway.Tests.Sandbox.QuayTls;

/// <summary>
/// A registry's Quay over HTTPS, reached as the gateway reaches Quay behind an egress proxy: <c>CONNECT host:443</c>
/// to the sandbox port, TLS with a certificate from the sandbox's CA. Real sockets, real TLS.
/// </summary>
public sealed class QuayTlsProxyTests : IAsyncLifetime
{
    private const string Namespace = "quay-enterprise";
    private const string RouteHost = "example-registry-quay-quay-enterprise.apps.sandbox.quaygateway.local";
    private readonly string _directory = Directory.CreateTempSubdirectory("qg-sandbox-tls-").FullName;
    private SandboxCluster _cluster = null!;
    private X509Certificate2 _ca = null!;
    private HttpClient Api { get; set; } = null!;

    public async Task InitializeAsync()
    {
        _cluster = await SandboxCluster.StartAsync(new SandboxOptions
        {
            PhaseDelay = TimeSpan.FromMilliseconds(80),
            KubeconfigPath = Path.Combine(_directory, "kubeconfig"),
        });
        _ca = X509Certificate2.CreateFromPem(_cluster.QuayCaPem);
        Api = _cluster.CreateApiClient();
        CreateRegistry(_cluster);
        await WaitUntilQuayServes(RouteHost);
    }

    public async Task DisposeAsync()
    {
        Api.Dispose();
        await _cluster.DisposeAsync();
        _ca.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task A_user_is_initialized_through_the_tls_proxy_and_the_same_quay_answers_on_every_tunnel()
    {
        using var tls = ProxiedClient();
        var user = new { username = "quayadmin", password = "quaypass123", email = "quayadmin@example.com", access_token = true };

        using var initialize = await tls.PostAsJsonAsync($"https://{RouteHost}/api/v1/user/initialize", user);
        Assert.Equal(HttpStatusCode.OK, initialize.StatusCode);
        var token = (await initialize.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();

        // One Quay behind every tunnel: the user made on one connection is seen, with the same token, on a new one.
        using var other = ProxiedClient();
        using var users = await Send(tls, HttpMethod.Get, $"https://{RouteHost}/api/v1/superuser/users/", token);
        using var usersElsewhere = await Send(other, HttpMethod.Get, $"https://{RouteHost}/api/v1/superuser/users/", token);
        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
        Assert.Equal(HttpStatusCode.OK, usersElsewhere.StatusCode);
        Assert.Equal(await users.Content.ReadAsStringAsync(), await usersElsewhere.Content.ReadAsStringAsync());
        var listed = (await users.Content.ReadFromJsonAsync<JsonObject>())!["users"]![0]!;
        Assert.Equal("quayadmin", listed["username"]!.GetValue<string>());
        Assert.True(listed["super_user"]!.GetValue<bool>());

        using var again = await other.PostAsJsonAsync($"https://{RouteHost}/api/v1/user/initialize", user);
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal("Cannot initialize user in a non-empty database",
            (await again.Content.ReadFromJsonAsync<JsonObject>())!["message"]!.GetValue<string>());

        using var health = await tls.GetAsync($"https://{RouteHost}/health/instance");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(200, (await health.Content.ReadFromJsonAsync<JsonObject>())!["status_code"]!.GetValue<int>());
    }

    [Fact]
    public async Task The_api_port_answers_as_the_kubernetes_api_even_with_a_quay_host_in_the_host_header()
    {
        var user = new { username = "quayadmin", password = "quaypass123", email = "quayadmin@example.com", access_token = true };

        // A request to the sandbox port (the API server) never reaches Quay, whatever the Host header says. .NET sends
        // the Host header as the TLS server name too, so this client checks the chain to the sandbox CA but not the
        // name: what is checked here is where the request goes.
        using var api = new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, leaf, _, _) => leaf is X509Certificate2 c && ChainsToCa(c, _ca) },
        }) { BaseAddress = _cluster.ApiServerUrl };
        using var initialize = await Send(api, HttpMethod.Post, "/api/v1/user/initialize", host: RouteHost, body: JsonContent.Create(user));
        using var users = await Send(api, HttpMethod.Get, "/api/v1/superuser/users/", host: RouteHost);
        using var health = await Send(api, HttpMethod.Get, "/health/instance", host: RouteHost);
        using var version = await Send(api, HttpMethod.Get, "/version", host: RouteHost);
        Assert.Equal(HttpStatusCode.NotFound, initialize.StatusCode);
        Assert.Equal("Status", (await initialize.Content.ReadFromJsonAsync<JsonObject>())!["kind"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, users.StatusCode);
        Assert.Equal("Status", (await users.Content.ReadFromJsonAsync<JsonObject>())!["kind"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, health.StatusCode);
        Assert.DoesNotContain("services", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, version.StatusCode);
        Assert.Equal("1", (await version.Content.ReadFromJsonAsync<JsonObject>())!["major"]!.GetValue<string>());

        // Quay itself saw none of it: its database is still empty, so the first initialize over TLS succeeds.
        using var tls = ProxiedClient();
        using var overTls = await tls.PostAsJsonAsync($"https://{RouteHost}/api/v1/user/initialize", user);
        Assert.Equal(HttpStatusCode.OK, overTls.StatusCode);
    }

    [Fact]
    public async Task Quay_api_faults_apply_over_the_tls_path_too()
    {
        using var tls = ProxiedClient();
        _cluster.Faults.QuayApi.AddError(new QuayGateway.Sandbox.Faults.QuayApiErrorFault(500, 1.0, "/health"));

        using var failing = await tls.GetAsync($"https://{RouteHost}/health/instance");

        Assert.Equal(HttpStatusCode.InternalServerError, failing.StatusCode);
    }

    [Fact]
    public async Task The_certificate_is_for_the_requested_host_and_chains_to_the_sandbox_ca()
    {
        X509Certificate2? presented = null;
        using var tls = ProxiedClient(leaf => presented = X509CertificateLoader.LoadCertificate(leaf.RawData));

        using var response = await tls.GetAsync($"https://{RouteHost}/health/instance");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var leaf = presented!;
        var names = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateDnsNames();
        Assert.Equal([RouteHost], names);
        Assert.True(ChainsToCa(leaf, _ca));
        Assert.Equal(_ca.Subject, leaf.Issuer);
        Assert.Contains(leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>(),
            oid => oid.Value == "1.3.6.1.5.5.7.3.1");
        var caBasics = _ca.Extensions.OfType<X509BasicConstraintsExtension>().Single();
        Assert.True(caBasics.CertificateAuthority);
    }

    [Fact]
    public async Task The_ca_is_written_next_to_the_kubeconfig_and_the_proxy_is_the_api_server()
    {
        Assert.Equal(Path.Combine(_directory, "kubeconfig") + ".quay-ca.pem", _cluster.QuayCaPath);
        Assert.Equal(_cluster.QuayCaPem, await File.ReadAllTextAsync(_cluster.QuayCaPath!));
        // One port: the API server over HTTPS, and the Quay proxy (CONNECT in plain text, as to any proxy).
        Assert.Equal(Uri.UriSchemeHttps, _cluster.ApiServerUrl.Scheme);
        Assert.Equal(new UriBuilder(_cluster.ApiServerUrl) { Scheme = Uri.UriSchemeHttp }.Uri, _cluster.QuayProxyUrl);

        await using var bare = await SandboxCluster.StartAsync(new SandboxOptions { SimulateOperator = false });
        Assert.Null(bare.QuayCaPath);
        Assert.StartsWith("-----BEGIN CERTIFICATE-----", bare.QuayCaPem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("example.com:443")]
    [InlineData("127.0.0.1:443")]
    [InlineData(RouteHost + ":8443")]
    [InlineData(RouteHost + ":80")]
    [InlineData("not-a-registry-quay-quay-enterprise.apps.sandbox.quaygateway.local:443")]
    public async Task Connect_to_a_host_the_sandbox_does_not_serve_or_to_another_port_is_refused(string authority)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _cluster.QuayProxyUrl.Port);
        var stream = client.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n\r\n"));

        using var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = await reader.ReadToEndAsync();

        // Refused, and the connection closed: no tunnel to anywhere.
        Assert.StartsWith("HTTP/1.1 403 Forbidden\r\n", answer, StringComparison.Ordinal);
        Assert.Contains(authority, answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_http_client_sees_the_refusal_as_a_proxy_tunnel_error()
    {
        using var tls = ProxiedClient();

        var error = await Assert.ThrowsAsync<HttpRequestException>(() => tls.GetAsync("https://example.com/"));

        Assert.Equal(HttpRequestError.ProxyTunnelError, error.HttpRequestError);
    }

    [Theory]
    [InlineData(RouteHost, "200 OK")]
    [InlineData(RouteHost + ":443", "200 OK")]
    [InlineData(RouteHost + ":8443", "200 OK")]
    [InlineData("127.0.0.1", "404 NOT FOUND")]
    [InlineData("localhost", "404 NOT FOUND")]
    public async Task A_tunnel_reaches_only_quay_whatever_the_host_header_says(string hostHeader, string status)
    {
        // The API server's own address in the Host header must not reach the Kubernetes API through a tunnel.
        var header = hostHeader.Contains(':', StringComparison.Ordinal) || hostHeader == RouteHost
            ? hostHeader
            : $"{hostHeader}:{_cluster.ApiServerUrl.Port}";

        var health = await RawThroughTunnel(header, "/health/instance");
        var version = await RawThroughTunnel(header, "/version");

        Assert.StartsWith("HTTP/1.1 " + status, health, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("gitVersion", version, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_cluster_stops_promptly_while_a_client_keeps_a_tunnel_open()
    {
        var other = await SandboxCluster.StartAsync(new SandboxOptions { PhaseDelay = TimeSpan.FromMilliseconds(80) });
        using var ca = X509Certificate2.CreateFromPem(other.QuayCaPem);
        using var handler = new HttpClientHandler
        {
            Proxy = new WebProxy(other.QuayProxyUrl),
            ServerCertificateCustomValidationCallback = (_, leaf, _, _) => leaf is not null && ChainsToCa(leaf, ca),
        };
        using var client = new HttpClient(handler);
        var stopping = new Stopwatch();
        try
        {
            CreateRegistry(other);
            var clock = Stopwatch.StartNew();
            while (!other.Quay.Api.Serves(RouteHost))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the registry's Quay did not come up");
                await Task.Delay(20);
            }

            // The pooled connection keeps its tunnel open after the answer.
            (await client.GetAsync($"https://{RouteHost}/health/instance")).EnsureSuccessStatusCode();
            stopping.Start();
        }
        finally
        {
            await other.DisposeAsync();
        }

        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(5), $"stopping took {stopping.Elapsed}");
    }

    [Fact]
    public async Task The_program_prints_the_ca_file_next_to_the_kubeconfig()
    {
        var kubeconfig = Path.Combine(_directory, "program", "kubeconfig");
        var start = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "QuayGateway.Sandbox")) { RedirectStandardOutput = true };
        foreach (var arg in new[] { "--kubeconfig", kubeconfig, "--port", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        using var program = Process.Start(start)!;
        try
        {
            var lines = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            while (await program.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                if (line.StartsWith("Quay CA written to", StringComparison.Ordinal)) break;
            }

            Assert.Contains($"Kubeconfig written to {kubeconfig}", lines);
            Assert.StartsWith($"Quay CA written to {kubeconfig}.quay-ca.pem;", lines[^1], StringComparison.Ordinal);
            Assert.StartsWith("-----BEGIN CERTIFICATE-----", await File.ReadAllTextAsync(kubeconfig + ".quay-ca.pem"), StringComparison.Ordinal);
        }
        finally
        {
            program.Kill();
            await program.WaitForExitAsync();
        }
    }

    [Fact]
    public async Task Plain_http_requests_still_reach_the_kubernetes_api_on_the_same_port()
    {
        var version = await Api.GetFromJsonAsync<JsonObject>("/version");

        Assert.Equal("1", version!["major"]!.GetValue<string>());
    }

    /// <summary>The namespace, a bundle with FEATURE_USER_INITIALIZE and quayadmin as superuser, and the registry.</summary>
    private static void CreateRegistry(SandboxCluster cluster)
    {
        cluster.Store.Create("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = Namespace } });
        cluster.Store.Create("secrets", Namespace, new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = new JsonObject { ["name"] = "init-config-bundle-secret", ["namespace"] = Namespace },
            ["stringData"] = new JsonObject { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\nSUPER_USERS:\n- quayadmin\n" },
        });
        cluster.Store.Create("quayregistries", Namespace, new JsonObject
        {
            ["apiVersion"] = "quay.redhat.com/v1",
            ["kind"] = "QuayRegistry",
            ["metadata"] = new JsonObject { ["name"] = "example-registry", ["namespace"] = Namespace },
            ["spec"] = new JsonObject { ["configBundleSecret"] = "init-config-bundle-secret" },
        });
    }

    /// <summary>As the gateway calls Quay behind an egress proxy: the proxy, and trust in the sandbox CA alone.</summary>
    private HttpClient ProxiedClient(Action<X509Certificate2>? presented = null)
    {
        var handler = new HttpClientHandler
        {
            Proxy = new WebProxy(_cluster.QuayProxyUrl),
            UseProxy = true,
            ServerCertificateCustomValidationCallback = (_, leaf, _, errors) =>
            {
                if (leaf is null) return false;
                presented?.Invoke(leaf);
                return (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) == SslPolicyErrors.None && ChainsToCa(leaf, _ca);
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
    }

    private static bool ChainsToCa(X509Certificate2 leaf, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }

    /// <summary>CONNECT, TLS for the route host, then one request with exactly this Host header; the raw answer.</summary>
    private async Task<string> RawThroughTunnel(string hostHeader, string path)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _cluster.QuayProxyUrl.Port);
        var network = client.GetStream();
        await network.WriteAsync(Encoding.ASCII.GetBytes($"CONNECT {RouteHost}:443 HTTP/1.1\r\nHost: {RouteHost}:443\r\n\r\n"));
        var established = new byte["HTTP/1.1 200 Connection established\r\n\r\n".Length];
        await network.ReadExactlyAsync(established);
        Assert.Equal("HTTP/1.1 200 Connection established\r\n\r\n", Encoding.ASCII.GetString(established));

        await using var tls = new SslStream(network, leaveInnerStreamOpen: false, (_, leaf, _, _) => leaf is X509Certificate2 c && ChainsToCa(c, _ca));
        await tls.AuthenticateAsClientAsync(RouteHost);
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: {hostHeader}\r\nConnection: close\r\n\r\n"));
        using var reader = new StreamReader(tls, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, HttpMethod method, string uri, string? token = null, string? host = null, HttpContent? body = null)
    {
        var request = new HttpRequestMessage(method, uri) { Content = body };
        if (host is not null) request.Headers.Host = host;
        if (token is not null) request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client.SendAsync(request);
    }

    private async Task WaitUntilQuayServes(string host)
    {
        var clock = Stopwatch.StartNew();
        while (!_cluster.Quay.Api.Serves(host))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), "the registry's Quay did not come up");
            await Task.Delay(20);
        }
    }
}
