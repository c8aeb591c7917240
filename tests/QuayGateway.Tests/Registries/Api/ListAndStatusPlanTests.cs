using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QuayGateway.Persistence;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Registries.Api;

/// <summary>
/// The list's and the status's queries, exactly as EF Core sends them, are planned on the indexes made for them: a page
/// is read in order from the cursor on (no sort, no row read only to be filtered out), the counts come from an index
/// alone and the registries needing attention from their partial index. Plans, not timings: the reads benchmark
/// measures the time (tests/QuayGateway.Benchmarks/README.md, reads). Each plan is made in a transaction that is rolled
/// back, over 20,000 rows of the test's tenant inserted and analyzed there: the shared test table's own rows and
/// statistics depend on which tests ran before (a plan on them once took another index). Sequential and bitmap scans are
/// switched off too, so that the planner shows which index it can use.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class ListAndStatusPlanTests(GatewayFixture gateway)
{
    private const string Tenant = "plan-tenant";
    private static readonly (DateTimeOffset, Guid) Cursor = (DateTimeOffset.UtcNow.AddHours(-1), Guid.CreateVersion7());

    public static TheoryData<RegistryState?, string?, string?, bool, string> Shapes() => new()
    {
        { null, null, null, false, "ix_registries_tenant_created_at_id" },
        { null, null, null, true, "ix_registries_tenant_created_at_id" },
        { RegistryState.Failed, null, null, true, "ix_registries_tenant_state_created_at_id" },
        { null, "edge", null, true, "ix_registries_tenant_cluster_created_at_id" },
        { RegistryState.Failed, "edge", null, true, "ix_registries_tenant_cluster_state_created_at_id" },
        { null, null, "ns-42", true, "ix_registries_tenant_namespace_created_at_id" },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public async Task A_list_page_is_read_in_order_from_the_cursor_on_its_filters_index(
        RegistryState? state, string? cluster, string? @namespace, bool withCursor, string index)
    {
        var template = await TemplateAsync();
        var plan = await gateway.WithDbAsync(db => ExplainAsync(db, template,
            ListRegistries.Page(db, Tenant, state, cluster, @namespace, withCursor ? Cursor : null, ListRegistries.DefaultLimit + 1)));

        var scan = Assert.Single(Nodes(plan), n => n["Index Name"] is not null);
        Assert.Equal(index, (string?)scan["Index Name"]);
        Assert.DoesNotContain(Nodes(plan), n => (string?)n["Node Type"] == "Sort");
        Assert.Null(scan["Filter"]); // every condition is the index's own: no row is read to be thrown away
        if (withCursor)
        {
            Assert.Contains("ROW(created_at, id) <", (string?)scan["Index Cond"], StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task The_status_counts_are_read_from_an_index_alone()
    {
        var template = await TemplateAsync();
        var plan = await gateway.WithDbAsync(db => ExplainAsync(db, template, GetFleetStatus.Counts(db.Registries.Where(r => r.Tenant == Tenant))));

        var scan = Assert.Single(Nodes(plan), n => n["Index Name"] is not null);
        Assert.Equal("Index Only Scan", (string?)scan["Node Type"]);
        Assert.Equal("ix_registries_tenant_state_health", (string?)scan["Index Name"]);
    }

    /// <summary>
    /// The index-only scan skips the heap only on pages the visibility map marks all-visible; every update clears its
    /// page's mark until the next vacuum. The migration makes autovacuum come back after 1% of the rows changed.
    /// </summary>
    [Fact]
    public async Task The_registries_table_is_autovacuumed_after_one_percent_of_its_rows_change()
    {
        var options = await gateway.WithDbAsync(db => db.Database
            .SqlQueryRaw<string>("SELECT unnest(reloptions) AS \"Value\" FROM pg_class WHERE oid = 'gateway.registries'::regclass").ToListAsync());

        Assert.Contains("autovacuum_vacuum_scale_factor=0.01", options);
        Assert.Contains("autovacuum_vacuum_insert_scale_factor=0.01", options);
    }

    [Fact]
    public async Task The_registries_needing_attention_are_read_from_their_partial_index_in_name_order()
    {
        var template = await TemplateAsync();
        var plan = await gateway.WithDbAsync(db => ExplainAsync(db, template, GetFleetStatus.NeedingAttention(db.Registries.Where(r => r.Tenant == Tenant))));

        var scan = Assert.Single(Nodes(plan), n => n["Index Name"] is not null);
        Assert.Equal("ix_registries_tenant_name_needs_attention", (string?)scan["Index Name"]);
        Assert.DoesNotContain(Nodes(plan), n => (string?)n["Node Type"] == "Sort");
    }

    /// <summary>
    /// The plan of the query's SQL as EF Core generates it, its parameters written in as literals (a literal of unknown
    /// type takes the column's type, as the parameter does), in a transaction that is rolled back: the SET LOCALs
    /// end with it and never reach another user of the pool.
    /// </summary>
    private static async Task<JsonNode> ExplainAsync<T>(GatewayDb db, Guid template, IQueryable<T> query)
    {
        var lines = query.ToQueryString().Split('\n');
        var sql = string.Join('\n', lines.SkipWhile(l => l.StartsWith("-- ", StringComparison.Ordinal)));
        foreach (var parameter in lines.Select(l => ParameterLine().Match(l)).Where(m => m.Success).OrderByDescending(m => m.Groups[1].Length))
        {
            sql = Regex.Replace(sql, "@" + parameter.Groups[1].Value + @"\b", "'" + parameter.Groups[2].Value.Replace("'", "''", StringComparison.Ordinal) + "'");
        }

        var connection = (NpgsqlConnection)db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var settings = new NpgsqlCommand("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off", connection, transaction))
        {
            await settings.ExecuteNonQueryAsync();
        }

        // Copies of a real registry row (every column the table has), spread over states, health, clusters and namespaces.
        await using (var seed = new NpgsqlCommand(
            """
            INSERT INTO gateway.registries
            SELECT (jsonb_populate_record(r, jsonb_build_object(
                'id', gen_random_uuid(), 'name', 'plan-' || i, 'namespace', 'ns-' || (i % 50), 'tenant', @tenant,
                'cluster', CASE WHEN i % 5 = 0 THEN 'edge' ELSE 'cluster-' || (i % 5) END,
                'state', CASE i % 20 WHEN 0 THEN 'Failed' WHEN 1 THEN 'Degraded' WHEN 2 THEN 'Deleted' WHEN 3 THEN 'Progressing' ELSE 'Ready' END,
                'health', CASE i % 20 WHEN 1 THEN 'Degraded' WHEN 2 THEN 'Missing' WHEN 3 THEN 'Progressing' ELSE 'Healthy' END,
                'created_at', now() - make_interval(secs => i)))).*
            FROM gateway.registries r, generate_series(1, 20000) i
            WHERE r.id = @template;
            ANALYZE gateway.registries;
            """, connection, transaction))
        {
            seed.Parameters.AddWithValue("tenant", Tenant);
            seed.Parameters.AddWithValue("template", template);
            await seed.ExecuteNonQueryAsync();
        }

        await using var explain = new NpgsqlCommand("EXPLAIN (FORMAT JSON) " + sql, connection, transaction);
        var plan = JsonNode.Parse((string)(await explain.ExecuteScalarAsync())!)![0]!["Plan"]!;
        await transaction.RollbackAsync();
        await db.Database.CloseConnectionAsync();
        return plan;
    }

    /// <summary>A registry of the gateway's, whose row the plans' rows copy.</summary>
    private async Task<Guid> TemplateAsync()
    {
        using var created = await gateway.Client().PostJsonAsync("/v1/registries",
            new CreateRegistryRequest("plan-" + Guid.NewGuid().ToString("N")[..10], "plan-template"));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, created.StatusCode);
        return (await created.ReadAsync<RegistryResponse>()).Id;
    }

    private static IEnumerable<JsonNode> Nodes(JsonNode node) =>
        new[] { node }.Concat((node["Plans"]?.AsArray() ?? []).SelectMany(child => Nodes(child!)));

    /// <summary>EF Core's header line for a parameter: <c>-- @name='value'</c>, sometimes followed by <c>(DbType = …)</c>.</summary>
    [GeneratedRegex(@"^-- @(\w+)='(.*)'(?: \(.*\))?\s*$")]
    private static partial Regex ParameterLine();
}
