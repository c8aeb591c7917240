using System.Diagnostics;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using k8s;

namespace QuayGateway.Benchmarks.Scale;

/// <summary>
/// One sandbox cluster as its own process: the standalone program (<c>src/QuayGateway.Sandbox</c>, run as
/// <c>dotnet QuayGateway.Sandbox.dll</c> from the benchmark's output folder) on a free port, writing its kubeconfig and
/// CA next to each other. Its own process so that K clusters do not share one runtime and one GC, as real clusters
/// do not; its request counts come over HTTP (<c>GET /sandbox/requests</c>).
/// </summary>
public sealed class SandboxProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _admin;

    private SandboxProcess(string name, string kubeconfigPath, Process process, HttpClient admin, Kubernetes client)
    {
        Name = name;
        KubeconfigPath = kubeconfigPath;
        _process = process;
        _admin = admin;
        Client = client;
    }

    public string Name { get; }

    public string KubeconfigPath { get; }

    /// <summary>A Kubernetes client for the cluster, trusting its CA from the kubeconfig.</summary>
    public Kubernetes Client { get; }

    public static async Task<SandboxProcess> StartAsync(string name, TimeSpan phaseDelay)
    {
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"qg-scale-{name}-{Guid.NewGuid():N}.kubeconfig");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "QuayGateway.Sandbox.dll"), "--name", name, "--kubeconfig", kubeconfig,
                     "--phase-delay", phaseDelay.ToString("c", System.Globalization.CultureInfo.InvariantCulture),
                 })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            if (e.Data.StartsWith("Kubeconfig written to", StringComparison.Ordinal)) ready.TrySetResult();
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        if (await Task.WhenAny(ready.Task, exited, Task.Delay(TimeSpan.FromMinutes(2))) != ready.Task)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"sandbox {name} did not start:\n{string.Join('\n', output)}");
        }

        // The program writes the kubeconfig and the CA file before it prints that line.
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(kubeconfig);
        var ca = X509Certificate2.CreateFromPem(await File.ReadAllTextAsync(kubeconfig + ".quay-ca.pem"));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                return certificate is not null && chain.Build(certificate);
            },
        };
        var admin = new HttpClient(handler) { BaseAddress = new Uri(config.Host), Timeout = TimeSpan.FromSeconds(30) };
        return new SandboxProcess(name, kubeconfig, process, admin, new Kubernetes(config));
    }

    /// <summary>Resident set size now and at its peak, in bytes (as <c>GatewayProcess.Memory</c>).</summary>
    public (long Current, long Peak) Memory()
    {
        _process.Refresh();
        return (_process.WorkingSet64, _process.PeakWorkingSet64);
    }

    /// <summary>The Kubernetes requests the sandbox has served so far, by "verb resource".</summary>
    public async Task<Dictionary<string, long>> RequestsAsync() =>
        await _admin.GetFromJsonAsync<Dictionary<string, long>>("/sandbox/requests") ?? [];

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        _admin.Dispose();
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
        File.Delete(KubeconfigPath);
        File.Delete(KubeconfigPath + ".quay-ca.pem");
    }
}
