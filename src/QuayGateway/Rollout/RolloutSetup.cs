
namespace QuayGateway.Rollout;

public static class RolloutSetup
{
    /// <summary>The provisioning engine: apply/delete/deadline/resync jobs, status tracking and the cluster watches.</summary>
    public static WebApplicationBuilder AddRollout(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<RolloutOptions>().BindConfiguration(RolloutOptions.Section);
        builder.Services.AddOptions<WatchOptions>().BindConfiguration(WatchOptions.Section);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddScoped<RolloutTracker>();
        builder.Services.AddScoped<ClusterResync>();
        builder.Services.AddScoped<ApplyRegistryJob>();
        builder.Services.AddScoped<DeleteRegistryJob>();
        builder.Services.AddScoped<DeadlineJob>();
        builder.Services.AddScoped<ResyncJob>();
        if (builder.Configuration.GetValue("Gateway:Watch:Enabled", true))
        {
            builder.Services.AddHostedService<ClusterWatcher>();
        }

        return builder;
    }
}
