using Hangfire;
using QuayGateway.Jobs;

namespace QuayGateway.Quay;

public static class QuayOrganizationResourcesSetup
{
    /// <summary>Robots, teams, quotas and the recurring resync of robot pull secrets (<c>Gateway:Quay:PullSecretsResyncCron</c>).</summary>
    public static IServiceCollection AddQuayOrganizationResources(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddScoped<QuayAccess>();
        services.AddScoped<QuayRobotTokens>();
        services.AddScoped<QuayOrganizationResources>();
        services.AddScoped<RobotPullSecretsJob>();
        var cron = configuration[$"{QuayOptions.Section}:PullSecretsResyncCron"] ?? "*/15 * * * *";
        services.AddRecurringJob(RobotPullSecretsJob.RecurringId, recurring =>
            recurring.AddOrUpdate<RobotPullSecretsJob>(RobotPullSecretsJob.RecurringId, job => job.ResyncAsync(CancellationToken.None), cron));
        return services;
    }
}
