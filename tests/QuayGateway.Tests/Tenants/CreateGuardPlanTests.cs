using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Tenants;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Tenants;

/// <summary>
/// A create's admission checks stay index lookups when one namespace holds most of the table. There the planner expects a
/// third of all rows to match "another tenant here" (<c>tenant &lt; $3</c>), so a sequential scan looks as if it would find
/// one at once; none matches, so it read the whole table on every create, and the create's statement grew with the table.
/// Runs the real guarded insert (prepared, as the gateway's pool prepares it) in a database of its own, where nothing
/// else reads the registries, and counts PostgreSQL's sequential scans of the table.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class CreateGuardPlanTests(GatewayFixture gateway)
{
    private const string Tenant = "big-tenant";
    private const string Namespace = "shared-big";

    [Fact]
    public async Task Creates_in_a_namespace_holding_most_of_the_table_never_scan_the_whole_table()
    {
        var connectionString = await NewDatabaseWithOneBigNamespaceAsync();
        var options = Options(connectionString);
        var before = await SequentialScansAsync(connectionString);

        var policies = gateway.Host.Services.GetRequiredService<TenantPolicies>();
        var writer = gateway.Host.Services.GetRequiredService<NewRowsWriter>();
        // More creates than Npgsql's auto-prepare threshold, on one connection: the later ones run the prepared statement.
        await using var db = new GatewayDb(options);
        await db.Database.OpenConnectionAsync();
        for (var i = 0; i < 12; i++)
        {
            var rows = new NewRowBatch();
            rows.Add(NewRegistry($"guarded-{i}"));
            var (refused, _) = await policies.AdmitAndInsertAsync(db, writer, rows, Tenant, "sandbox", Namespace, CancellationToken.None);
            Assert.Null(refused);
        }

        await db.Database.CloseConnectionAsync();
        // A backend reports its statistics within a second of going idle: wait until the inserts show, then read the scans.
        await GatewayFixture.EventuallyAsync(() => InsertedAsync(connectionString), inserted => inserted >= 5012);
        Assert.Equal(before, await SequentialScansAsync(connectionString));
    }

    [Fact]
    public async Task A_change_checks_a_namespace_holding_most_of_the_table_with_two_index_probes()
    {
        var connectionString = await NewDatabaseWithOneBigNamespaceAsync();
        var options = Options(connectionString);
        var policies = gateway.Host.Services.GetRequiredService<TenantPolicies>();
        // A PATCH's (and a robot's pull secrets') placement check, past the auto-prepare threshold on one connection.
        await using var db = new GatewayDb(options);
        await db.Database.OpenConnectionAsync();
        var before = await RowsReadAsync(connectionString);
        for (var i = 0; i < 12; i++)
        {
            Assert.Null(await policies.CheckExistingPlacementAsync(db, Tenant, "sandbox", Namespace, CancellationToken.None));
            Assert.NotNull(await policies.CheckExistingPlacementAsync(db, "other-tenant", "sandbox", Namespace, CancellationToken.None));
        }

        await db.Database.CloseConnectionAsync();
        // 24 checks of one or two probes (the second is skipped once the first found another tenant), an entry each: not
        // the namespace's 5,000 (the statistics arrive within a second of the backend going idle).
        var read = await GatewayFixture.EventuallyAsync(async () => await RowsReadAsync(connectionString) - before, read => read >= 24);
        Assert.InRange(read, 24, 24 * 10);
    }

    private static DbContextOptions<GatewayDb> Options(string connectionString)
    {
        var builder = new DbContextOptionsBuilder<GatewayDb>();
        builder.UseGatewayDb(connectionString);
        return builder.Options;
    }

    private static Registry NewRegistry(string name) =>
        new() { Tenant = Tenant, Cluster = "sandbox", Namespace = Namespace, Name = name, Spec = RegistrySpec.From(new(name, Namespace)) };

    /// <summary>
    /// A database of its own whose one namespace holds 5,000 of the tenant's registries, analyzed, with the set-up's own
    /// statistics in: the migrations' index builds count as sequential scans, and a backend reports its counts only
    /// when it goes idle (CI once read them after the creates', 12 "scans" that were the migration's). One backend does
    /// both steps, so once its inserts show, its scans have too.
    /// </summary>
    private async Task<string> NewDatabaseWithOneBigNamespaceAsync()
    {
        var connectionString = await gateway.CreateDatabaseAsync("guardplan");
        await using (var db = new GatewayDb(Options(connectionString)))
        {
            await db.Database.OpenConnectionAsync();
            await db.Database.MigrateAsync();
            db.Registries.AddRange(Enumerable.Range(0, 5000).Select(i => NewRegistry($"bulk-{i}")));
            await db.SaveChangesAsync();
            await db.Database.CloseConnectionAsync();
        }

        await GatewayFixture.EventuallyAsync(() => InsertedAsync(connectionString), inserted => inserted >= 5000);
        await ExecuteAsync(connectionString, "ANALYZE gateway.registries");
        return connectionString;
    }

    private static async Task<long> SequentialScansAsync(string connectionString) =>
        await ScalarAsync(connectionString, "SELECT seq_scan FROM pg_stat_user_tables WHERE schemaname = 'gateway' AND relname = 'registries'");

    /// <summary>Rows and index entries read from the registries table so far: its sequential scans' and its indexes' reads.</summary>
    private static async Task<long> RowsReadAsync(string connectionString) =>
        await ScalarAsync(connectionString, """
            SELECT t.seq_tup_read + (SELECT coalesce(sum(i.idx_tup_read), 0) FROM pg_stat_user_indexes i WHERE i.relid = t.relid)::bigint
            FROM pg_stat_user_tables t WHERE t.schemaname = 'gateway' AND t.relname = 'registries'
            """);

    private static async Task<long> InsertedAsync(string connectionString) =>
        await ScalarAsync(connectionString, "SELECT n_tup_ins FROM pg_stat_user_tables WHERE schemaname = 'gateway' AND relname = 'registries'");

    private static async Task<long> ScalarAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
