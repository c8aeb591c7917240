using Hangfire;
using QuayGateway.Hosting;
using QuayGateway.Jobs;

namespace QuayGateway.Rollout;

public static class RolloutSetup
{
    /// <summary>The provisioning engine: apply/delete/deadline/resync jobs, status tracking and the cluster watches.</summary>
    public static WebApplicationBuilder AddRollout(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<WatchOptions>().BindConfiguration(WatchOptions.Section);
        builder.DocumentValues<ClusterView>(nameof(ClusterView.Kind), ClustersApi.Kinds).DocumentExample(ClustersApi.Example);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddEagerSingleton<RolloutMetrics>();
        builder.Services.AddScoped<RolloutTracker>();
        builder.Services.AddScoped<WatchEventRouter>();
        builder.Services.AddScoped<IApplyRegistryJob, ApplyRegistryJob>();
        builder.Services.AddScoped<IDeleteRegistryJob, DeleteRegistryJob>();
        builder.Services.AddScoped<DeadlineJob>();
        builder.Services.AddScoped<ResyncJob>();
        builder.Services.AddScoped<RetentionJob>();
        builder.Services.AddOptions<RetentionOptions>().BindConfiguration(RetentionOptions.Section);
        var retentionCron = builder.Configuration[$"{RetentionOptions.Section}:Cron"] ?? new RetentionOptions().Cron;
        builder.Services.AddRecurringJob(RetentionJob.RecurringId, recurring =>
            recurring.AddOrUpdate<RetentionJob>(RetentionJob.RecurringId, job => job.RunAsync(CancellationToken.None), retentionCron));
        // The key predates the engine's own section; it stays where deployments set it.
        var resyncCron = builder.Configuration[$"{JobsOptions.Section}:ResyncCron"] ?? Cron.Minutely();
        builder.Services.AddRecurringJob(ResyncJob.RecurringId, recurring =>
            recurring.AddOrUpdate<ResyncJob>(ResyncJob.RecurringId, job => job.RunAsync(CancellationToken.None), resyncCron));
        if (builder.Configuration.GetValue("Gateway:Watch:Enabled", true))
        {
            builder.Services.AddHostedService<ClusterWatcher>();
        }

        return builder;
    }
}
