using QuayGateway.Sandbox;

namespace QuayGateway.DevServices;

/// <summary>
/// The in-process sandbox clusters dev services started, by cluster name. The gateway reaches each through its
/// kubeconfig and Quay proxy like any cluster; this is for the tests and tools that inject faults or read its state.
/// </summary>
public sealed class DevSandboxes(IConfiguration configuration, ILogger<DevSandboxes> logger) : IHostedService, IAsyncDisposable
{
    private readonly Dictionary<string, SandboxCluster> _clusters = new(StringComparer.Ordinal);
    private readonly List<string> _ownFolders = [];

    public IReadOnlyCollection<string> Names => _clusters.Keys;

    public SandboxCluster Get(string name) =>
        _clusters.TryGetValue(name, out var cluster) ? cluster : throw new InvalidOperationException($"Cluster '{name}' is not a dev-services sandbox.");

    /// <summary>
    /// Starts a sandbox for each cluster configured <c>sandbox: true</c> and configures it as an ordinary cluster:
    /// <c>Kubeconfig</c> and <c>Context</c>, <c>QuayProxy</c> (the sandbox's port answers CONNECT for its Quay routes),
    /// <c>QuayCaBundle</c> (its CA's file) and <c>AppsDomain</c> (its routes' domain).
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var settings = configuration.GetSection(SandboxSettings.Section).Get<SandboxSettings>() ?? new SandboxSettings();
        var names = configuration.GetSection(ClustersSection).GetChildren()
            .Where(c => c.GetValue<bool>("sandbox")).Select(c => c.Key).ToList();
        if (names.Count == 0) return;
        // The gateway acts in its sandboxes as it does in a real cluster: as a service account bound to the chart's
        // ClusterRole, so a verb the role lacks is the apiserver's 403 here too. The admin keeps the default context.
        var gatewayRole = settings.GatewayRoleManifest is { } rolePath
            ? await File.ReadAllTextAsync(rolePath, cancellationToken)
            : SandboxCluster.ChartGatewayRoleManifest;
        foreach (var name in names)
        {
            var cluster = configuration.GetSection($"{ClustersSection}:{name}");
            var sandbox = await SandboxCluster.StartAsync(new SandboxOptions
            {
                Name = name,
                Profile = cluster["profile"] ?? settings.Profile,
                QuayVersion = cluster["quayVersion"] ?? settings.QuayVersion,
                PhaseDelay = cluster.GetValue<TimeSpan?>("phaseDelay") ?? settings.PhaseDelay,
                KubeconfigPath = KubeconfigPath(settings.KubeconfigPath, name, names.Count),
                GatewayRoleManifest = gatewayRole,
                // Each sandbox its own folder; a second gateway on the same folder stops here and says why.
                StateDirectory = settings.StateDir is { Length: > 0 } stateDir ? Path.Combine(stateDir, name) : null,
            }, cancellationToken);
            _clusters[name] = sandbox;
            cluster["kubeconfig"] = sandbox.Options.KubeconfigPath;
            // The gateway acts as its service account; the kubeconfig's default context stays the admin's.
            cluster["context"] = sandbox.GatewayContext;
            cluster["quayProxy"] = sandbox.QuayProxyUrl.ToString();
            cluster["quayCaBundle"] = sandbox.QuayCaPath;
            // Quay calls go only to a registry's route host (or its SERVER_HOSTNAME): the sandbox's routes are under its apps domain.
            cluster["appsDomain"] = sandbox.Options.AppsDomain;
            logger.LogInformation("Sandbox cluster {Cluster} listening on {Url} (profile {Profile}); kubeconfig {Kubeconfig}, Quay CA {QuayCa}, state {StateDir}",
                name, sandbox.ApiServerUrl, sandbox.Options.Profile, sandbox.Options.KubeconfigPath, sandbox.QuayCaPath, sandbox.StateDirectory ?? "(not kept)");
            logger.LogInformation("See the sandbox's registries with: {Command}", KubectlCommand(sandbox.Options.KubeconfigPath!));
        }
    }

    private const string ClustersSection = "Gateway:Clusters";

    /// <summary>The command a person runs to look at a sandbox with kubectl.</summary>
    public static string KubectlCommand(string kubeconfigPath) => $"kubectl --kubeconfig {kubeconfigPath} get quayregistries -A";

    /// <summary>The configured path (with several sandboxes, one file each beside it), or a folder of this process's own.</summary>
    private string KubeconfigPath(string? configured, string name, int count)
    {
        if (configured is null)
        {
            var folder = Path.Combine(Path.GetTempPath(), $"quaygateway-sandbox-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
            Directory.CreateDirectory(folder);
            _ownFolders.Add(folder);
            return Path.Combine(folder, $"{name}.kubeconfig");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(configured))!);
        return count <= 1
            ? configured
            : Path.Combine(Path.GetDirectoryName(configured) ?? ".", $"{Path.GetFileNameWithoutExtension(configured)}.{name}{Path.GetExtension(configured)}");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var sandbox in _clusters.Values)
        {
            await sandbox.DisposeAsync();
        }

        foreach (var folder in _ownFolders)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A temp folder left behind is harmless.
            }
        }
    }
}
