namespace QuayGateway.Clusters;

public static class ClustersSetup
{
    public static WebApplicationBuilder AddClusters(this WebApplicationBuilder builder)
    {
        builder.Services.AddSingleton<ClusterCatalog>();
        builder.Services.AddSingleton<ClusterMetrics>();
        builder.Services.AddSingleton<ClusterConnections>();
        // Registered before the job server and the watchers, which need started connections.
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterConnections>());
        return builder;
    }
}
