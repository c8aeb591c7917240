using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Sandbox;

namespace QuayGateway.Tests.Sandbox.Kubernetes;

/// <summary>
/// The API server speaks HTTPS like a real one, and clients with their default, verifying settings agree with it:
/// kubectl, and the official JavaScript client (@kubernetes/client-node 1.x, npm, from <c>node/</c> here).
/// </summary>
[Collection(SandboxCollection.Name)]
public sealed class SecureClientTests(SandboxFixture sandbox)
{
    [Fact]
    public async Task The_kubeconfig_names_an_https_server_and_carries_the_sandbox_ca()
    {
        var kubeconfig = await File.ReadAllTextAsync(sandbox.KubeconfigPath);

        Assert.Equal(Uri.UriSchemeHttps, sandbox.Cluster.ApiServerUrl.Scheme);
        Assert.Contains($"server: https://127.0.0.1:{sandbox.Cluster.ApiServerUrl.Port}", kubeconfig, StringComparison.Ordinal);
        var caData = kubeconfig.Split('\n').Single(l => l.TrimStart().StartsWith("certificate-authority-data:", StringComparison.Ordinal)).Split(':')[1].Trim();
        Assert.Equal(sandbox.Cluster.CaPem, Encoding.ASCII.GetString(Convert.FromBase64String(caData)));
        Assert.DoesNotContain("insecure-skip-tls-verify", kubeconfig, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_plain_http_request_gets_the_answer_a_real_api_server_gives()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, sandbox.Cluster.ApiServerUrl.Port);
        var stream = client.GetStream();
        await stream.WriteAsync("GET /version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"u8.ToArray());

        using var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = await reader.ReadToEndAsync();

        Assert.StartsWith("HTTP/1.1 400 Bad Request\r\n", answer, StringComparison.Ordinal);
        Assert.Contains("Client sent an HTTP request to an HTTPS server.", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kubectl_refuses_the_server_without_the_ca_and_trusts_it_with_the_kubeconfig()
    {
        var withoutCa = Path.Combine(Path.GetDirectoryName(sandbox.KubeconfigPath)!, "kubeconfig-without-ca");
        await File.WriteAllLinesAsync(withoutCa, (await File.ReadAllLinesAsync(sandbox.KubeconfigPath))
            .Where(l => !l.TrimStart().StartsWith("certificate-authority-data:", StringComparison.Ordinal)));

        var refused = await sandbox.KubectlAsync("--kubeconfig", withoutCa, "get", "namespaces");
        var trusted = await sandbox.KubectlAsync("get", "namespace", "default", "-o", "name");

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("x509", refused.Stderr, StringComparison.Ordinal);
        Assert.True(trusted.ExitCode == 0, trusted.ToString());
        Assert.Equal("namespace/default", trusted.Stdout.Trim());
    }

    [Fact]
    public async Task Kubectl_reads_the_openapi_v3_document_and_explains_the_quayregistry_spec()
    {
        var index = await sandbox.KubectlAsync("get", "--raw", "/openapi/v3");
        Assert.True(index.ExitCode == 0, index.ToString());
        var paths = JsonNode.Parse(index.Stdout)!["paths"]!.AsObject();
        Assert.Contains("apis/quay.redhat.com/v1", paths.Select(p => p.Key));
        var groupPath = paths["apis/quay.redhat.com/v1"]!["serverRelativeURL"]!.GetValue<string>();
        var group = await sandbox.KubectlAsync("get", "--raw", groupPath);
        Assert.True(group.ExitCode == 0, group.ToString());
        Assert.Contains("com.redhat.quay.v1.QuayRegistry", JsonNode.Parse(group.Stdout)!["components"]!["schemas"]!.AsObject().Select(s => s.Key));

        var explain = await sandbox.KubectlAsync("explain", "quayregistry.spec");
        Assert.True(explain.ExitCode == 0, explain.ToString());
        Assert.Contains("KIND:       QuayRegistry", explain.Stdout, StringComparison.Ordinal);
        Assert.Contains("FIELD: spec <Object>", explain.Stdout, StringComparison.Ordinal);
        Assert.Contains("configBundleSecret\t<string>", explain.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_javascript_client_lists_watches_and_patches_quayregistries_with_default_tls_settings()
    {
        var ns = sandbox.NewNamespace("js");
        sandbox.Cluster.Store.Create("quayregistries", ns, new JsonObject
        {
            ["apiVersion"] = "quay.redhat.com/v1",
            ["kind"] = "QuayRegistry",
            ["metadata"] = new JsonObject { ["name"] = "js-registry", ["namespace"] = ns },
            ["spec"] = new JsonObject { ["configBundleSecret"] = "bundle" },
        });

        var result = await RunNodeClientAsync(sandbox.KubeconfigPath, ns, "js-registry");

        Assert.Equal(["js-registry"], result["listed"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("client-node-json", result["jsonPatched"]!["patched-by"]!.GetValue<string>());
        Assert.Equal("client-node-merge", result["mergePatched"]!["patched-by"]!.GetValue<string>());
        var watched = result["watched"]!.AsArray().Select(e => (Type: e!["type"]!.GetValue<string>(), Name: e["name"]?.GetValue<string>())).ToList();
        Assert.Equal(2, watched.Count(e => e is ("MODIFIED", "js-registry")));
        var stored = sandbox.Cluster.Store.Get("quayregistries", ns, "js-registry")!;
        Assert.Equal("client-node-merge", stored["metadata"]!["labels"]!["patched-by"]!.GetValue<string>());
        Assert.Equal("client-node-json", stored["metadata"]!["annotations"]!["patched-by"]!.GetValue<string>());
    }

    [Fact]
    public async Task Plain_http_is_there_only_behind_its_option()
    {
        await using var plain = await SandboxCluster.StartAsync(new SandboxOptions { SimulateOperator = false, PlainHttp = true });

        Assert.Equal(Uri.UriSchemeHttp, plain.ApiServerUrl.Scheme);
        Assert.DoesNotContain("certificate-authority-data", plain.KubeconfigYaml, StringComparison.Ordinal);
        using var http = new HttpClient { BaseAddress = plain.ApiServerUrl };
        Assert.Contains("gitVersion", await http.GetStringAsync("/version"), StringComparison.Ordinal);
        // kubectl sends no bearer token to a plain-HTTP server, so there (and only there) no credentials act as the admin.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/api/v1/namespaces")).StatusCode);
        using var secure = sandbox.Cluster.CreateApiClient(token: null);
        Assert.Equal(HttpStatusCode.Forbidden, (await secure.GetAsync("/api/v1/namespaces")).StatusCode);
    }

    /// <summary>The folder of the JavaScript client (package.json, package-lock.json, client.mjs).</summary>
    private static string NodeFolder
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "QuayGateway.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("QuayGateway.sln not found above the test binaries"),
                "tests", "QuayGateway.Tests", "Sandbox", "Kubernetes", "node");
        }
    }

    private static async Task<JsonObject> RunNodeClientAsync(string kubeconfig, string ns, string name)
    {
        if (!Directory.Exists(Path.Combine(NodeFolder, "node_modules", "@kubernetes", "client-node")))
        {
            throw new InvalidOperationException($"@kubernetes/client-node is not installed: run `npm ci` in {NodeFolder} (.ci/run does).");
        }

        var start = new ProcessStartInfo("node") { WorkingDirectory = NodeFolder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "client.mjs", kubeconfig, ns, name })
        {
            start.ArgumentList.Add(arg);
        }

        // Node's defaults: no NODE_TLS_REJECT_UNAUTHORIZED, no extra CA; only the kubeconfig's.
        start.Environment.Remove("NODE_TLS_REJECT_UNAUTHORIZED");
        start.Environment.Remove("NODE_EXTRA_CA_CERTS");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"node client.mjs exited {process.ExitCode}:\n{await stdout}\n{await stderr}");
        return JsonNode.Parse((await stdout).Trim().Split('\n')[^1])!.AsObject();
    }
}
