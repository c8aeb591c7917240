using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using QuayGateway.Sandbox;

namespace QuayGateway.Tests.Sandbox;

/// <summary>
/// <c>--state-dir</c>: a sandbox restarted on the same folder has its objects, each Quay's users and tokens, the
/// clock and the CA back; a sandbox that dies without stopping loses at most the last second; two never share one.
/// </summary>
public sealed class SandboxStateTests : IDisposable
{
    private const string Namespace = "quay-enterprise";
    private readonly string _directory = Directory.CreateTempSubdirectory("qg-sandbox-state-").FullName;

    private string StateDir => Path.Combine(_directory, "state");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private Task<SandboxCluster> Start(string? stateDir = null) => SandboxCluster.StartAsync(new SandboxOptions
    {
        PhaseDelay = TimeSpan.FromMilliseconds(50),
        KubeconfigPath = Path.Combine(_directory, "kubeconfig"),
        StateDirectory = stateDir ?? StateDir,
    });

    [Fact]
    public async Task A_restart_on_the_same_state_dir_keeps_objects_quay_users_and_tokens_the_clock_and_the_ca()
    {
        string uid, caPem, token, host;
        long revision;
        JsonObject before;
        await using (var first = await Start())
        {
            using var api = first.CreateApiClient();
            await CreateRegistry(api);
            before = await WaitAvailable(api);
            uid = before["metadata"]!["uid"]!.GetValue<string>();
            host = new Uri(before["status"]!["registryEndpoint"]!.GetValue<string>()).Host;
            using var quay = QuayClient(first);
            using var initialize = await quay.PostAsJsonAsync($"https://{host}/api/v1/user/initialize",
                new { username = "quayadmin", password = "quaypass123", email = "quayadmin@example.com", access_token = true });
            Assert.Equal(HttpStatusCode.OK, initialize.StatusCode);
            token = (await initialize.Content.ReadFromJsonAsync<JsonObject>())!["access_token"]!.GetValue<string>();
            (await api.PostAsync("/sandbox/clock/advance?seconds=600", null)).EnsureSuccessStatusCode();
            caPem = first.CaPem;
            revision = first.Store.CurrentResourceVersion;
        }

        Assert.True(File.Exists(Path.Combine(StateDir, "state.json")));
        await using var second = await Start();
        using var api2 = second.CreateApiClient();

        // The CA is the same, so the kubeconfig a client already had still verifies.
        Assert.Equal(caPem, second.CaPem);
        var after = (await api2.GetFromJsonAsync<JsonObject>($"/apis/quay.redhat.com/v1/namespaces/{Namespace}/quayregistries/example-registry"))!;
        Assert.Equal(uid, after["metadata"]!["uid"]!.GetValue<string>());
        Assert.True(second.Store.CurrentResourceVersion >= revision);
        Assert.Equal(TimeSpan.FromSeconds(600), second.Quay.Clock.Offset);

        // Still Available, and the operator writes nothing new: no drift for a client to see.
        Assert.Equal("True", Condition(after, "Available"));
        await Task.Delay(500);
        var settled = (await api2.GetFromJsonAsync<JsonObject>($"/apis/quay.redhat.com/v1/namespaces/{Namespace}/quayregistries/example-registry"))!;
        Assert.Equal("True", Condition(settled, "Available"));
        Assert.True(JsonNode.DeepEquals(after["spec"], settled["spec"]), settled.ToJsonString());

        // The Quay user and its token from before the restart.
        using var quay2 = QuayClient(second);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"https://{host}/api/v1/superuser/users/");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var users = await quay2.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
        Assert.Equal("quayadmin", (await users.Content.ReadFromJsonAsync<JsonObject>())!["users"]![0]!["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_watch_resumes_across_a_restart_from_a_resourceVersion_before_it()
    {
        const string ns = "watched";
        string resumeFrom;
        await using (await Start())
        {
            using var client = Kube();
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
            await client.CoreV1.CreateNamespacedSecretAsync(Secret("before-list"), ns);
            resumeFrom = (await client.CoreV1.ListNamespacedSecretAsync(ns)).Metadata.ResourceVersion;
            await client.CoreV1.CreateNamespacedSecretAsync(Secret("before-restart"), ns);
            await client.CoreV1.DeleteNamespacedSecretAsync("before-list", ns);
        }

        await using var restarted = await Start();
        Assert.True(restarted.Store.CurrentResourceVersion > long.Parse(resumeFrom, System.Globalization.CultureInfo.InvariantCulture));
        using var client2 = Kube();
        await client2.CoreV1.CreateNamespacedSecretAsync(Secret("after-restart"), ns);

        // Resumed from the resourceVersion listed before the restart: the events since then, not 410 Gone.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<string>();
        Exception? error = null;
        await foreach (var (type, secret) in client2.CoreV1.WatchListNamespacedSecretAsync(ns, resourceVersion: resumeFrom, timeoutSeconds: 10,
                           onError: e => error = e, cancellationToken: timeout.Token))
        {
            seen.Add($"{type} {secret.Metadata.Name}");
            if (seen.Count == 3) break;
        }

        Assert.True(error is null, error?.ToString());
        Assert.Equal(["Added before-restart", "Deleted before-list", "Added after-restart"], seen);
    }

    private k8s.Kubernetes Kube() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(Path.Combine(_directory, "kubeconfig")));

    private static V1Secret Secret(string name) => new() { Metadata = new V1ObjectMeta { Name = name }, StringData = new Dictionary<string, string> { ["a"] = "b" } };

    [Fact]
    public async Task A_crash_loses_at_most_the_last_second()
    {
        var crashed = Path.Combine(_directory, "crashed");
        await using (var running = await Start())
        {
            running.Store.Create("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "written-before" } });
            await Task.Delay(TimeSpan.FromSeconds(1.1));
            // What a kill -9 at this moment leaves: the files as they are on disk, without the flush at stop.
            CopyFolder(StateDir, crashed, except: SandboxState.LockFileName);
        }

        await using var restarted = await Start(crashed);
        Assert.NotNull(restarted.Store.Get("namespaces", null, "written-before"));
    }

    [Fact]
    public async Task A_change_made_just_before_a_crash_comes_back_from_the_journal()
    {
        var crashed = Path.Combine(_directory, "crashed");
        await using (var running = await Start())
        {
            using var api = running.CreateApiClient();
            running.Store.Create("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "journaled-only" } });
            (await api.PostAsync("/sandbox/clock/advance?seconds=42", null)).EnsureSuccessStatusCode();
            await Task.Delay(SandboxState.FlushInterval * 3);
            // A kill -9 now: the files as they are, without anything written at stop.
            CopyFolder(StateDir, crashed, except: SandboxState.LockFileName);
        }

        // The snapshot is from the start; only the journal holds the change.
        Assert.DoesNotContain("journaled-only", await File.ReadAllTextAsync(Path.Combine(crashed, SandboxState.StateFileName)), StringComparison.Ordinal);
        Assert.Contains(Directory.GetFiles(crashed, "journal-*.jsonl"), f => File.ReadAllText(f).Contains("journaled-only", StringComparison.Ordinal));
        await using var restarted = await Start(crashed);
        Assert.NotNull(restarted.Store.Get("namespaces", null, "journaled-only"));
        Assert.Equal(TimeSpan.FromSeconds(42), restarted.Quay.Clock.Offset);
    }

    [Fact]
    public async Task A_torn_last_journal_line_is_ignored()
    {
        var crashed = Path.Combine(_directory, "crashed");
        await using (var running = await Start())
        {
            running.Store.Create("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "before-the-tear" } });
            await Task.Delay(SandboxState.FlushInterval * 3);
            CopyFolder(StateDir, crashed, except: SandboxState.LockFileName);
        }

        // A crash in the middle of an append: half a line, no newline.
        var journal = Directory.GetFiles(crashed, "journal-*.jsonl").Order(StringComparer.Ordinal).Last();
        await File.AppendAllTextAsync(journal, """{"revision":999999,"type":"ADDED","resource":"namespaces","object":{"metadata":{"na""");

        await using var restarted = await Start(crashed);
        Assert.NotNull(restarted.Store.Get("namespaces", null, "before-the-tear"));
        Assert.True(restarted.Store.CurrentResourceVersion < 999999);
    }

    [Fact]
    public async Task A_state_dir_written_before_the_journal_still_loads()
    {
        // As the sandbox wrote it before the journal: no generation, no journal file, no watch history.
        Directory.CreateDirectory(StateDir);
        await File.WriteAllTextAsync(Path.Combine(StateDir, SandboxState.StateFileName), """
            {"format":1,"revision":7,"clockOffsetTicks":0,"objects":[{"resource":"namespaces","object":{"apiVersion":"v1","kind":"Namespace",
            "metadata":{"name":"from-before","uid":"0b6c1f5e-7a63-4d53-9a55-1b1d2f0c0a01","resourceVersion":"7","creationTimestamp":"2026-12-01T00:00:00Z"},
            "spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}}],"quay":{}}
            """);

        await using (var first = await Start())
        {
            Assert.NotNull(first.Store.Get("namespaces", null, "from-before"));
            first.Store.Create("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "after" } });
        }

        await using var second = await Start();
        Assert.NotNull(second.Store.Get("namespaces", null, "from-before"));
        Assert.NotNull(second.Store.Get("namespaces", null, "after"));
    }

    [Fact]
    public async Task A_killed_standalone_sandbox_loses_at_most_the_last_second()
    {
        var program = Path.Combine(AppContext.BaseDirectory, "QuayGateway.Sandbox.dll");
        var kubeconfig = Path.Combine(_directory, "standalone.kubeconfig");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { program, "--kubeconfig", kubeconfig, "--state-dir", StateDir, "--phase-delay", "00:00:00.050" })
        {
            start.ArgumentList.Add(arg);
        }

        using (var process = Process.Start(start)!)
        {
            try
            {
                var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
                Assert.Contains("listening on https://127.0.0.1:", line, StringComparison.Ordinal);
                await KubectlAsync(kubeconfig, "create", "namespace", "written-before-kill");
                await Task.Delay(TimeSpan.FromSeconds(1.1));
            }
            finally
            {
                process.Kill(); // SIGKILL: no flush at stop
                await process.WaitForExitAsync();
            }
        }

        // The lock went with the process, so the folder opens again.
        await using var restarted = await Start();
        Assert.NotNull(restarted.Store.Get("namespaces", null, "written-before-kill"));
    }

    [Fact]
    public async Task Two_sandboxes_never_share_a_state_dir()
    {
        await using var first = await Start();

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => Start());

        Assert.Contains("is in use by another sandbox", refused.Message, StringComparison.Ordinal);
        Assert.Contains(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), refused.Message, StringComparison.Ordinal);
    }

    private static async Task CreateRegistry(HttpClient api)
    {
        (await api.PostAsJsonAsync("/api/v1/namespaces", new { apiVersion = "v1", kind = "Namespace", metadata = new { name = Namespace } })).EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync($"/api/v1/namespaces/{Namespace}/secrets", new
        {
            apiVersion = "v1", kind = "Secret",
            metadata = new { name = "init-config-bundle-secret", @namespace = Namespace },
            stringData = new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\nSUPER_USERS:\n- quayadmin\n" },
        })).EnsureSuccessStatusCode();
        (await api.PostAsJsonAsync($"/apis/quay.redhat.com/v1/namespaces/{Namespace}/quayregistries", new
        {
            apiVersion = "quay.redhat.com/v1", kind = "QuayRegistry",
            metadata = new { name = "example-registry", @namespace = Namespace },
            spec = new { configBundleSecret = "init-config-bundle-secret" },
        })).EnsureSuccessStatusCode();
    }

    private static async Task<JsonObject> WaitAvailable(HttpClient api)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var registry = (await api.GetFromJsonAsync<JsonObject>($"/apis/quay.redhat.com/v1/namespaces/{Namespace}/quayregistries/example-registry"))!;
            if (Condition(registry, "Available") == "True") return registry;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), registry.ToJsonString());
            await Task.Delay(20);
        }
    }

    private static string? Condition(JsonObject registry, string type) =>
        (registry["status"]?["conditions"] as JsonArray)?.FirstOrDefault(c => c?["type"]?.GetValue<string>() == type)?["status"]?.GetValue<string>();

    private static HttpClient QuayClient(SandboxCluster cluster)
    {
        var ca = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(cluster.QuayCaPem);
        return new HttpClient(new SocketsHttpHandler
        {
            Proxy = new WebProxy(cluster.QuayProxyUrl),
            UseProxy = true,
            SslOptions =
            {
                CertificateChainPolicy = new System.Security.Cryptography.X509Certificates.X509ChainPolicy
                {
                    TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust,
                    CustomTrustStore = { ca },
                    RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck,
                },
            },
        }) { Timeout = TimeSpan.FromSeconds(20) };
    }

    private static void CopyFolder(string from, string to, string except)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from).Where(f => Path.GetFileName(f) != except))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static async Task KubectlAsync(string kubeconfig, params string[] args)
    {
        var start = new ProcessStartInfo("kubectl") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--kubeconfig");
        start.ArgumentList.Add(kubeconfig);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await error);
    }
}
