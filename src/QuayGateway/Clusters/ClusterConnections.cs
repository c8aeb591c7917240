using Microsoft.Extensions.Options;
using QuayGateway.Hosting;
using QuayGateway.Sandbox;
using k8s;

namespace QuayGateway.Clusters;

/// <summary>Settings of the in-process sandbox clusters (<c>Gateway:Sandbox:*</c>).</summary>
public sealed class SandboxSettings
{
    public const string Section = "Gateway:Sandbox";

    /// <summary><c>current</c> (the default) or <c>3.6</c>.</summary>
    public string Profile { get; set; } = "current";

    /// <summary>Length of each simulated rollout phase.</summary>
    public TimeSpan PhaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>When set, the sandbox writes its kubeconfig there so a person can run kubectl against it.</summary>
    public string? KubeconfigPath { get; set; }
}

/// <summary>
/// One <see cref="ClusterClient"/> per configured cluster, built from its kubeconfig (and context), in-cluster
/// config, or an in-process sandbox started here. Started before the job server, so jobs always find their cluster.
/// </summary>
public sealed class ClusterConnections(ClusterCatalog catalog, IOptions<SandboxSettings> sandboxSettings, ClusterMetrics metrics, ILogger<ClusterConnections> logger)
    : IHostedService, IAsyncDisposable
{
    private readonly Dictionary<string, ClusterClient> _clients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SandboxCluster> _sandboxes = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => catalog.Names;

    public ClusterClient Get(string name) =>
        _clients.TryGetValue(name, out var client)
            ? client
            : throw new InvalidOperationException($"Cluster '{name}' is not configured or not started.");

    /// <summary>The in-process sandbox behind a cluster, for its Quay API mapping, faults and tests.</summary>
    public SandboxCluster? Sandbox(string name) => _sandboxes.GetValueOrDefault(name);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var sandboxCount = catalog.Clusters.Values.Count(c => c.Sandbox);
        foreach (var (name, options) in catalog.Clusters)
        {
            KubernetesClientConfiguration config;
            if (options.Sandbox)
            {
                var settings = sandboxSettings.Value;
                var sandbox = await SandboxCluster.StartAsync(new SandboxOptions
                {
                    Name = name,
                    Profile = options.Profile ?? settings.Profile,
                    PhaseDelay = options.PhaseDelay ?? settings.PhaseDelay,
                    KubeconfigPath = KubeconfigPathFor(settings.KubeconfigPath, name, sandboxCount),
                }, cancellationToken);
                _sandboxes[name] = sandbox;
                config = FromYaml(sandbox.KubeconfigYaml, name);
                logger.LogInformation("Sandbox cluster {Cluster} listening on {Url} (profile {Profile})", name, sandbox.ApiServerUrl, sandbox.Options.Profile);
            }
            else if (options.InCluster)
            {
                config = KubernetesClientConfiguration.InClusterConfig();
            }
            else if (options.Kubeconfig is { } path)
            {
                // Never BuildDefaultConfig(): it silently falls back to localhost:8080.
                config = KubernetesClientConfiguration.BuildConfigFromConfigFile(path, options.Context);
            }
            else
            {
                throw new InvalidOperationException($"Cluster '{name}' needs kubeconfig, inCluster: true or sandbox: true.");
            }

            _clients[name] = new ClusterClient(name, new Kubernetes(config), metrics);
        }
    }

    /// <summary>With several sandboxes, each gets its own file next to the configured path.</summary>
    private static string? KubeconfigPathFor(string? configured, string name, int sandboxCount) =>
        configured is null || sandboxCount <= 1
            ? configured
            : Path.Combine(Path.GetDirectoryName(configured) ?? ".", $"{Path.GetFileNameWithoutExtension(configured)}.{name}{Path.GetExtension(configured)}");

    private static KubernetesClientConfiguration FromYaml(string kubeconfig, string context)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(kubeconfig));
        return KubernetesClientConfiguration.BuildConfigFromConfigFile(stream, context);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }

        foreach (var sandbox in _sandboxes.Values)
        {
            await sandbox.DisposeAsync();
        }
    }
}
