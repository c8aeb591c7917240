using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using QuayGateway.Sandbox;

namespace QuayGateway.Tests.Sandbox.Kubernetes;

/// <summary>
/// One bare sandbox API server (no simulated operator, so nothing writes behind a test's back) shared by the
/// Kubernetes protocol tests, with a KubernetesClient built from its kubeconfig file and a kubectl runner.
/// Tests isolate themselves by namespace.
/// </summary>
public sealed class SandboxFixture : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("qg-sandbox-k8s-").FullName;
    private int _namespaces;

    public SandboxCluster Cluster { get; private set; } = null!;

    public k8s.Kubernetes Client { get; private set; } = null!;

    public string KubeconfigPath => Path.Combine(_directory, "kubeconfig");

    public async Task InitializeAsync()
    {
        Cluster = await SandboxCluster.StartAsync(new SandboxOptions
        {
            KubeconfigPath = KubeconfigPath,
            SimulateOperator = false,
            WatchHistoryLimit = 500,
            BookmarkInterval = TimeSpan.FromMilliseconds(300),
        });
        Client = new k8s.Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(KubeconfigPath));
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Cluster.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>A fresh namespace, created through the store, so each test has its own space.</summary>
    public string NewNamespace(string prefix = "t")
    {
        var name = $"{prefix}-{Interlocked.Increment(ref _namespaces)}";
        Cluster.Store.Create("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } });
        return name;
    }

    public sealed record KubectlResult(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    /// <summary>Runs the machine's kubectl against the sandbox. A missing kubectl fails the test (CI installs it).</summary>
    public async Task<KubectlResult> KubectlWithInputAsync(string stdin, params string[] args)
    {
        var start = new ProcessStartInfo("kubectl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--kubeconfig", KubeconfigPath, "--cache-dir", Path.Combine(_directory, "kubectl-cache") }.Concat(args))
        {
            start.ArgumentList.Add(arg);
        }
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("kubectl is not installed or not on PATH; these tests need it (CI installs it).", e);
        }
        using (process)
        {
            await process.StandardInput.WriteAsync(stdin);
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await process.WaitForExitAsync(timeout.Token);
            return new KubectlResult(process.ExitCode, await stdout, await stderr);
        }
    }

    public Task<KubectlResult> KubectlAsync(params string[] args) => KubectlWithInputAsync("", args);

    /// <summary>Raw HTTP to the API server, for what the clients hide (headers, exact bodies).</summary>
    public HttpClient Http() => Cluster.CreateApiClient();

    public static JsonObject ToJson(object kubernetesClientResult) =>
        JsonNode.Parse(JsonSerializer.Serialize(kubernetesClientResult))!.AsObject();
}

[CollectionDefinition(Name)]
public sealed class SandboxCollection : ICollectionFixture<SandboxFixture>
{
    public const string Name = "sandbox-kubernetes";
}
