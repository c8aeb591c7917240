using System.Data.Common;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;

namespace QuayGateway.Persistence;

public static class PersistenceSetup
{
    public const string ConnectionStringName = "Gateway";

    /// <summary>
    /// PostgreSQL through EF Core, at <c>ConnectionStrings:Gateway</c> (in Development, dev services may have started a
    /// private server and set it).
    /// </summary>
    public static WebApplicationBuilder AddGatewayPersistence(this WebApplicationBuilder builder)
    {
        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set (dev services start a database only in Development).");

        // One connection pool: EF Core and the reads that go straight to Npgsql share this data source.
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(WithPoolDefaults(connectionString)));
        builder.Services.AddSingleton(_ => new SessionLocks(connectionString));
        builder.Services.AddDbContextPool<GatewayDb>((services, options) => options.UseGatewayDb(services.GetRequiredService<NpgsqlDataSource>()));
        // Wakes in-process parties after commits that wrote their rows (AddCommitSignal).
        builder.Services.AddCommitSignals();
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section);
        builder.Services.PostConfigure<DatabaseOptions>(o => o.MigrateOnStartup ??= builder.Environment.IsDevelopment());
        // First hosted service: the schema exists before Data Protection loads its key ring or any job runs.
        builder.Services.AddHostedService<StartupMigrator>();
        // One LISTEN connection per replica, shared by every feature that subscribes to a channel.
        DatabaseNotifications.AddTo(builder.Services, connectionString);

        builder.Services.AddDataProtection()
            .SetApplicationName("quay-gateway")
            .PersistKeysToDbContext<GatewayDb>()
            .ProtectKeysWithConfiguredCertificate(builder.Configuration);
        builder.Services.RequireProtectedKeyRing(builder.Environment);
        return builder;
    }

    public static DbContextOptionsBuilder UseGatewayDb(this DbContextOptionsBuilder options, string connectionString) => options
        .UseNpgsql(WithPoolDefaults(connectionString), ConfigureNpgsql)
        .UseGatewayConventions();

    public static DbContextOptionsBuilder UseGatewayDb(this DbContextOptionsBuilder options, NpgsqlDataSource dataSource) => options
        .UseNpgsql(dataSource, ConfigureNpgsql)
        .UseGatewayConventions();

    private static void ConfigureNpgsql(NpgsqlDbContextOptionsBuilder npgsql) => npgsql
        .MigrationsAssembly(GatewayMigrationsAssembly.Name)
        .MigrationsHistoryTable(HistoryRepository.DefaultTableName, GatewayDb.Schema);

    private static DbContextOptionsBuilder UseGatewayConventions(this DbContextOptionsBuilder options) => options
        .UseSnakeCaseNamingConvention()
        .ReplaceService<IMigrationsAssembly, GatewayMigrationsAssembly>();

    /// <summary>
    /// The gateway's pool settings, unless the connection string sets them itself:
    /// <list type="bullet">
    /// <item><c>Max Auto Prepare=64</c>: Npgsql prepares the statements the gateway runs again and again (the create's
    /// inserts, the registry read), so PostgreSQL parses and plans each once per connection, not on every request.</item>
    /// <item><c>No Reset On Close=true</c>: a connection goes back to the pool without Npgsql's session reset, seven
    /// statements (<c>SET SESSION AUTHORIZATION DEFAULT; RESET ALL; … pg_advisory_unlock_all()</c>) run ahead of the next
    /// request's own (see the benchmarks README for what they cost). Nothing on this pool sets
    /// session state except session advisory locks, and <see cref="SessionLocks"/> releases those or discards the
    /// connection.</item>
    /// </list>
    /// </summary>
    internal static string WithPoolDefaults(string connectionString)
    {
        // Npgsql's own builder reports every keyword as present; a plain one lists what the string says.
        var given = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!given.Contains(nameof(builder.MaxAutoPrepare)))
        {
            builder.MaxAutoPrepare = 64;
        }

        if (!given.Contains(nameof(builder.NoResetOnClose)))
        {
            builder.NoResetOnClose = true;
        }

        return builder.ConnectionString;
    }
}
