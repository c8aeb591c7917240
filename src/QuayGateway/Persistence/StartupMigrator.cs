using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
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

        var applied = await DatabaseMigration.MigrateAsync(services, cancellationToken);
        if (applied.Count > 0)
        {
            logger.LogInformation("Applied {Count} database migration(s); the schema is up to date (latest {Latest})", applied.Count, applied[^1]);
        }
        else
        {
            logger.LogInformation("Database schema is up to date");
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class DatabaseMigration
{
    /// <summary>Applies the pending migrations and returns their names (none when the schema was up to date).</summary>
    public static async Task<IReadOnlyList<string>> MigrateAsync(IServiceProvider services, CancellationToken ct = default)
    {
        await using var scope = services.CreateAsyncScope();
        // Replicas that migrate at startup start together: one migrates, the others wait and then find nothing to do.
        await using var migrationLock = await scope.ServiceProvider.GetRequiredService<SessionLocks>().AcquireAsync("quay-gateway/migrate", ct);
        var database = scope.ServiceProvider.GetRequiredService<GatewayDb>().Database;
        // A fresh database has no history table. EF Core's own existence check (IHistoryRepository.ExistsAsync, also
        // called by CreateIfNotExists, GetPendingMigrations and Migrate) runs a SELECT on it and catches the failure,
        // which EF Core logs as a failed DbCommand at Error level (event 20102) although nothing is wrong. So look the
        // table up in the catalog and create it here, in commands that cannot fail: EF's check then finds it.
        await EnsureHistoryTableAsync(database, ct);

        var pending = (await database.GetPendingMigrationsAsync(ct)).ToList();
        await database.MigrateAsync(ct);
        return pending;
    }

    private static async Task EnsureHistoryTableAsync(DatabaseFacade database, CancellationToken ct)
    {
        var connection = database.GetDbConnection();
        await database.OpenConnectionAsync(ct);
        try
        {
            await using var exists = connection.CreateCommand();
            exists.CommandText = "SELECT to_regclass(@name) IS NOT NULL";
            var name = exists.CreateParameter();
            name.ParameterName = "name";
            name.Value = $"\"{GatewayDb.Schema}\".\"{HistoryRepository.DefaultTableName}\"";
            exists.Parameters.Add(name);
            if (await exists.ExecuteScalarAsync(ct) is true)
            {
                return;
            }

            // CREATE SCHEMA / CREATE TABLE IF NOT EXISTS: safe while another process does the same.
            await using var create = connection.CreateCommand();
            create.CommandText = database.GetService<IHistoryRepository>().GetCreateIfNotExistsScript();
            await create.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            await database.CloseConnectionAsync();
        }
    }

    /// <summary>The explicit step: <c>dotnet run --project src/QuayGateway -- migrate</c> (or <c>dotnet QuayGateway.dll migrate</c>).</summary>
    public static async Task<int> RunMigrateCommandAsync(this WebApplication app)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("QuayGateway.Migrate");
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var database = scope.ServiceProvider.GetRequiredService<GatewayDb>().Database;
            await EnsureHistoryTableAsync(database, CancellationToken.None);
            var pending = await database.GetPendingMigrationsAsync();
            logger.LogInformation("Applying {Count} pending migration(s): {Migrations}", pending.Count(), string.Join(", ", pending));
        }

        var applied = await MigrateAsync(app.Services);
        logger.LogInformation("Applied {Count} migration(s)", applied.Count);
        return 0;
    }
}
