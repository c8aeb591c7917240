using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace QuayGateway.Persistence;

/// <summary>
/// Applies pending migrations before anything else starts, when <see cref="DatabaseOptions.MigrateOnStartup"/> is on
/// (Development and tests). Registered before the job server so no job meets an old schema.
/// </summary>
internal sealed class StartupMigrator(IServiceProvider services, IOptions<DatabaseOptions> options, ILogger<StartupMigrator> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Value.MigrateOnStartup != true)
        {
            return;
        }

        await DatabaseMigration.MigrateAsync(services, cancellationToken);
        logger.LogInformation("Database schema is up to date");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class DatabaseMigration
{
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        // Replicas that migrate at startup start together: one migrates, the others wait and then find nothing to do.
        await using var migrationLock = await scope.ServiceProvider.GetRequiredService<SessionLocks>().AcquireAsync("quay-gateway/migrate", ct);
        await scope.ServiceProvider.GetRequiredService<GatewayDb>().Database.MigrateAsync(ct);
    }

    /// <summary>The explicit step: <c>dotnet run --project src/QuayGateway -- migrate</c> (or <c>dotnet QuayGateway.dll migrate</c>).</summary>
    public static async Task<int> RunMigrateCommandAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("QuayGateway.Migrate");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var pending = await scope.ServiceProvider.GetRequiredService<GatewayDb>().Database.GetPendingMigrationsAsync();
            logger.LogInformation("Applying {Count} pending migration(s): {Migrations}", pending.Count(), string.Join(", ", pending));
        }

        await MigrateAsync(app.Services);
        logger.LogInformation("Migrations applied");
        return 0;
    }
}
