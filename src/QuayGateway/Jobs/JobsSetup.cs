using Hangfire;
using Hangfire.PostgreSql;
using Hangfire.States;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection.Extensions;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Security;

namespace QuayGateway.Jobs;

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
            .UseTypeResolver(RegistryJobs.ResolveType)
            .UsePostgreSqlStorage(o => o.UseNpgsqlConnection(connectionString), new PostgreSqlStorageOptions
            {
                SchemaName = Schema,
                // Without long polling a new job waits up to 15 s for the next poll.
                EnableLongPolling = true,
                PrepareSchemaIfNecessary = true,
                // A killed replica's fetched jobs come back after the timeout instead of Hangfire's default 30 min.
                UseSlidingInvisibilityTimeout = true,
                InvisibilityTimeout = options.InvisibilityTimeout,
                DistributedLockTimeout = LockTimeout,
            }));
        if (options.Server)
        {
            builder.Services.AddHangfireServer(s =>
            {
                s.ServerName = ServerName(EnqueuedState.DefaultQueue);
                s.Queues = [EnqueuedState.DefaultQueue];
                s.WorkerCount = options.WorkerCount;
                s.SchedulePollingInterval = options.SchedulePollingInterval;
            });
        }

        // Hangfire's filters are process-wide; the guard keeps a second builder in one process from doubling them.
        if (!GlobalJobFilters.Filters.Any(f => f.Instance is JobTracing))
        {
            GlobalJobFilters.Filters.Add(new JobTracing());
        }

        builder.Services.AddEagerSingleton<JobMetrics>();
        builder.Services.AddScoped<PendingJobs>();

        // Requests ask for jobs through the outbox (JobOutbox); the dispatcher enqueues them where jobs run.
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<JobOutboxDispatcher>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<JobOutboxDispatcher>());
        // Outbox rows that commit through SaveChanges wake the local dispatcher; other replicas find them on their next poll.
        builder.Services.AddCommitSignal<OutboxJob>(sp => sp.GetRequiredService<JobOutboxDispatcher>().Wake);
        return builder;
    }

    /// <summary>
    /// Gives a feature's jobs a Hangfire queue with workers of their own, so they cannot hold up the registry jobs on
    /// the default queue (a slow webhook receiver must not delay anyone's rollout). The jobs name the queue with
    /// Hangfire's <c>[Queue]</c>; each replica that runs jobs serves it.
    /// </summary>
    public static WebApplicationBuilder AddJobQueue(this WebApplicationBuilder builder, string queue, int workerCount)
    {
        var options = builder.Configuration.GetSection(JobsOptions.Section).Get<JobsOptions>() ?? new JobsOptions();
        if (options.Server)
        {
            builder.Services.AddHangfireServer(s =>
            {
                s.ServerName = ServerName(queue);
                s.Queues = [queue];
                s.WorkerCount = workerCount;
                s.SchedulePollingInterval = options.SchedulePollingInterval;
            });
        }

        builder.Services.AddSingleton(new JobQueue(queue));
        return builder;
    }

    /// <summary>A queue a feature added; the metrics report it even while it is empty.</summary>
    public sealed record JobQueue(string Name);

    // Hangfire names a server after the machine; one process now runs a server per queue.
    private static string ServerName(string queue) => $"{Environment.MachineName}:{Environment.ProcessId}:{queue}";

    public static IEndpointRouteBuilder MapGatewayJobsDashboard(this IEndpointRouteBuilder app)
    {
        // The dashboard's own filter allows local requests only; the platform admin scope replaces it.
        app.MapHangfireDashboard("/hangfire", new DashboardOptions { Authorization = [], DisplayStorageConnectionString = false })
            .RequireAuthorization(Scopes.PlatformAdmin); // every tenant's jobs
        return app;
    }

    /// <summary>
    /// Registers a recurring job when the host starts, without holding the start up: a replica killed while holding
    /// Hangfire's lock on the job leaves it behind until <see cref="LockTimeout"/> frees it, so registration retries
    /// in the background instead of failing the start (the job as stored keeps running meanwhile). Each feature
    /// registers its own; one hosted service registers them all.
    /// </summary>
    public static IServiceCollection AddRecurringJob(this IServiceCollection services, string id, Action<IRecurringJobManager> register)
    {
        services.AddSingleton(new RecurringJobDefinition(id, register));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, RecurringJobRegistration>());
        return services;
    }

    /// <summary>How long a Hangfire lock outlives a replica that died holding it (Hangfire.PostgreSql's default is 10 min).</summary>
    public static readonly TimeSpan LockTimeout = TimeSpan.FromMinutes(1);

    /// <summary>A recurring job as a feature defines it: its id and how to register it.</summary>
    public sealed record RecurringJobDefinition(string Id, Action<IRecurringJobManager> Register);

    internal sealed class RecurringJobRegistration(
        IEnumerable<RecurringJobDefinition> definitions, IRecurringJobManager recurring, ILogger<RecurringJobRegistration> logger)
        : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            await Task.Yield(); // off the start-up path
            var pending = definitions.ToList();
            while (true)
            {
                foreach (var definition in pending.ToList())
                {
                    try
                    {
                        definition.Register(recurring);
                        pending.Remove(definition);
                    }
                    catch (PostgreSqlDistributedLockException e)
                    {
                        logger.LogWarning("Could not register recurring job {JobId} yet: {Message}; retrying", definition.Id, e.Message);
                    }
                }

                if (pending.Count == 0)
                {
                    return;
                }

                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }
}
