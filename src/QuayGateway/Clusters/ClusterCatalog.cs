namespace QuayGateway.Clusters;

/// <summary>How to reach one target cluster: a kubeconfig (with context), in-cluster config, or an in-process sandbox.</summary>
public sealed class ClusterOptions
{
    public string? Kubeconfig { get; set; }
    public string? Context { get; set; }
    public bool InCluster { get; set; }
    public bool Sandbox { get; set; }

    /// <summary>For a sandbox cluster: its operator profile (<c>current</c> or <c>3.6</c>), overriding Gateway:Sandbox:Profile.</summary>
    public string? Profile { get; set; }

    /// <summary>For a sandbox cluster: its rollout phase length, overriding Gateway:Sandbox:PhaseDelay.</summary>
    public TimeSpan? PhaseDelay { get; set; }

    /// <summary>PEM CA bundle used for TLS to the Quay endpoints of this cluster.</summary>
    public string? QuayCaBundle { get; set; }

    /// <summary>Explicit opt-in to skip TLS verification towards Quay (the source document uses <c>curl -k</c>).</summary>
    public bool InsecureSkipTlsVerify { get; set; }
}

/// <summary>The configured clusters, by name (<c>Gateway:Clusters:&lt;name&gt;</c>), and which is the default.</summary>
public sealed class ClusterCatalog
{
    public const string Section = "Gateway:Clusters";
    public const string SandboxName = "sandbox";

    public ClusterCatalog(IConfiguration configuration, IHostEnvironment environment)
    {
        var clusters = configuration.GetSection(Section).Get<Dictionary<string, ClusterOptions>>() ?? [];
        if (clusters.Count == 0 && environment.IsDevelopment())
        {
            // Development without clusters gets one in-process sandbox, so the whole flow runs on a laptop.
            clusters[SandboxName] = new ClusterOptions { Sandbox = true };
        }

        Clusters = clusters;
        DefaultCluster = configuration["Gateway:DefaultCluster"]
            ?? (clusters.ContainsKey(SandboxName) ? SandboxName : clusters.Keys.Order(StringComparer.Ordinal).FirstOrDefault());
    }

    public IReadOnlyDictionary<string, ClusterOptions> Clusters { get; }

    public string? DefaultCluster { get; }

    public IReadOnlyCollection<string> Names => Clusters.Keys.ToList();
}

public static class ClustersSetup
{
    public static WebApplicationBuilder AddClusters(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ClusterCatalog>();
        builder.Services.AddSingleton<ClusterMetrics>();
        builder.Services.AddOptions<SandboxSettings>().BindConfiguration(SandboxSettings.Section);
        builder.Services.AddSingleton<ClusterConnections>();
        // Registered before the job server and the watchers, which need started connections.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterConnections>());
        return builder;
    }
}
