using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using Npgsql.EntityFrameworkCore.PostgreSQL.Infrastructure;
using QuayGateway.Hosting;

namespace QuayGateway.Persistence;

public static class PersistenceSetup
{
    public const string ConnectionStringName = "Gateway";

    /// <summary>
    /// PostgreSQL through EF Core. In Development without a configured connection string, dev services start a
    /// private server first. A configured connection string always wins.
    /// </summary>
    public static WebApplicationBuilder AddGatewayPersistence(this WebApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(ConnectionStringName))
            && builder.Environment.IsDevelopment())
        {
            var devPostgres = DevPostgres.StartPersistentAsync().GetAwaiter().GetResult();
            builder.Configuration[$"ConnectionStrings:{ConnectionStringName}"] = devPostgres.ConnectionString;
        }

        var connectionString = builder.Configuration.GetConnectionString(ConnectionStringName)
            ?? throw new InvalidOperationException(
                $"ConnectionStrings:{ConnectionStringName} is not set (dev services start a database only in Development).");

        // One connection pool: EF Core and the reads that go straight to Npgsql share this data source.
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(WithStatementPreparation(connectionString)));
        builder.Services.AddDbContextPool<GatewayDb>((services, options) => options.UseGatewayDb(services.GetRequiredService<NpgsqlDataSource>()));
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section);
        builder.Services.PostConfigure<DatabaseOptions>(o => o.MigrateOnStartup ??= builder.Environment.IsDevelopment());
        // First hosted service: the schema exists before Data Protection loads its key ring or any job runs.
        builder.Services.AddHostedService<StartupMigrator>();

        builder.Services.AddDataProtection()
            .SetApplicationName("quay-gateway")
            .PersistKeysToDbContext<GatewayDb>()
            .ProtectKeysWithConfiguredCertificate(builder.Configuration);
        return builder;
    }

    public static DbContextOptionsBuilder UseGatewayDb(this DbContextOptionsBuilder options, string connectionString) => options
        .UseNpgsql(WithStatementPreparation(connectionString), ConfigureNpgsql)
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
    /// Lets Npgsql prepare the statements the gateway runs again and again (the create's inserts, the registry read),
    /// so PostgreSQL parses and plans each once per connection instead of on every request. Prepared statements survive
    /// the connection pool's reset. A connection string that sets <c>Max Auto Prepare</c> itself wins.
    /// </summary>
    internal static string WithStatementPreparation(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!connectionString.Contains("Auto Prepare", StringComparison.OrdinalIgnoreCase))
        {
            builder.MaxAutoPrepare = 64;
        }

        return builder.ConnectionString;
    }
}

public sealed class DatabaseOptions
{
    public const string Section = "Gateway:Database";

    /// <summary>Apply pending migrations at startup. Defaults to true in Development; production runs <c>migrate</c>.</summary>
    public bool? MigrateOnStartup { get; set; }
}
