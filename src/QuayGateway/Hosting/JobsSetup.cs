using Hangfire;
using Hangfire.PostgreSql;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Rollout;
using QuayGateway.Security;

namespace QuayGateway.Hosting;

public sealed class JobsOptions
{
    public const string Section = "Gateway:Jobs";

    /// <summary>Run a Hangfire server in this process (every replica does by default).</summary>
    public bool Server { get; set; } = true;
    public int WorkerCount { get; set; } = Math.Max(4, Environment.ProcessorCount * 2);
    public string ResyncCron { get; set; } = Cron.Minutely();

    /// <summary>
    /// How often scheduled jobs (deprovision polls, apply and webhook retries) are checked for being due; Hangfire's
    /// default of 15 s would delay each of them.
    /// </summary>
    public TimeSpan SchedulePollingInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often each replica looks for jobs in the outbox that another replica committed (its own commits wake it at
    /// once).
    /// </summary>
    public TimeSpan OutboxPollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Move jobs from the job outbox into Hangfire in this process. Defaults to <see cref="Server"/>: the replicas that run
    /// jobs also enqueue them, and an API-only replica (<c>Server=false</c>) spends nothing on Hangfire's client. A
    /// deployment whose job servers are elsewhere can still turn it on.
    /// </summary>
    public bool? Dispatch { get; set; }

    public bool Dispatches => Dispatch ?? Server;
}

/// <summary>Hangfire on PostgreSQL (schema <c>hangfire</c>, long polling) with the dashboard at <c>/hangfire</c> for admins.</summary>
public static class JobsSetup
{
    public const string Schema = "hangfire";

    public static WebApplicationBuilder AddGatewayJobs(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        var connectionString = builder.Configuration.GetConnectionString(PersistenceSetup.ConnectionStringName)!;
        builder.Services.AddHangfire(c => c
            .SetDataCompatibilityLevel(CompatibilityLevel.Version_180)
            .UseSimpleAssemblyNameTypeSerializer()
            .UseRecommendedSerializerSettings()
            .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(connectionString), new PostgreSqlStorageOptions
            {
                SchemaName = Schema,
                // Without long polling a new job waits up to 15 s for the next poll.
                EnableLongPolling = true,
                PrepareSchemaIfNecessary = true,
            }));
        if (options.Server)
        {
            builder.Services.AddHangfireServer(s =>
            {
                s.WorkerCount = options.WorkerCount;
                s.SchedulePollingInterval = options.SchedulePollingInterval;
            });
        }

        // Requests ask for jobs through the outbox (JobOutbox); the dispatcher enqueues them where jobs run.
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<JobOutboxDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobOutboxDispatcher>());
        builder.Services.AddSingleton<JobOutbox.Interceptor>();
        builder.Services.ConfigureDbContext<GatewayDb>((sp, db) => db.AddInterceptors(sp.GetRequiredService<JobOutbox.Interceptor>()));

        builder.Services.AddHostedService(sp => new RecurringJobsRegistration(sp.GetRequiredService<IRecurringJobManager>(), options));
        return builder;
    }

    public static IEndpointRouteBuilder MapGatewayJobsDashboard(this IEndpointRouteBuilder app)
    {
        // The dashboard's own filter allows local requests only; the gateway's admin scope replaces it.
        app.MapHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [], DisplayStorageConnectionString = false })
            .RequireAuthorization(Scopes.Admin);
        return app;
    }

    private sealed class RecurringJobsRegistration(IRecurringJobManager recurring, JobsOptions options) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            recurring.AddOrUpdate<ResyncJob>(ResyncJob.RecurringId, job => job.RunAsync(CancellationToken.None), options.ResyncCron);
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
