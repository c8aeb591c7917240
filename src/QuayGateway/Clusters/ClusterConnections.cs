using k8s;

namespace QuayGateway.Clusters;

/// <summary>
/// One <see cref="ClusterClient"/> per configured cluster, built from its kubeconfig (and context) or in-cluster
/// config. Started before the job server, so jobs always find their cluster.
/// </summary>
public sealed class ClusterConnections(ClusterCatalog catalog, ClusterMetrics metrics)
    : IHostedService, IDisposable
{
    private readonly Dictionary<string, ClusterClient> _clients = new(StringComparer.Ordinal);

    public IReadOnlyCollection<string> Names => catalog.Names;

    public ClusterClient Get(string name) =>
        _clients.TryGetValue(name, out var client)
            ? client
            : throw new InvalidOperationException($"Cluster '{name}' is not configured or not started.");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (name, options) in catalog.Clusters)
        {
            KubernetesClientConfiguration config;
            if (options.InCluster)
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
                throw new InvalidOperationException(options.Sandbox
                    ? $"Cluster '{name}' is a sandbox, which dev services start; they did not (sandbox clusters are for Development and tests)."
                    : $"Cluster '{name}' needs kubeconfig or inCluster: true.");
            }

            _clients[name] = new ClusterClient(name, new Kubernetes(config), metrics);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}
