using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using QuayGateway.DevServices;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Benchmarks.Reads;

/// <summary>
/// Reads at size (issue 21): two throwaway PostgreSQL servers, one seeded with <c>--small</c> registries and one with
/// <c>--large</c>, each behind its own gateway process (no job server, no watches). The rows are written straight into
/// <c>gateway.registries</c> in one server-side INSERT … SELECT per table, copied from a registry the API created (so
/// every column has a value the gateway wrote), spread over 10 tenants (40% in the benchmark key's), 10 clusters, 500
/// namespaces and the states (75% Ready; Failed, Degraded, Deleted, Progressing, Blocked 5% each). Over real HTTP
/// against the large table it measures the list (filters and cursor paging, following nextCursor) and
/// <c>/v1/status</c>, and <c>GET /v1/registries/{id}</c> on both tables in alternating rounds.
/// Targets: list p99 &lt; 50 ms; status p99 &lt; 100 ms; GET by id on the large table ≥ 90% of its throughput on the small.
/// </summary>
public static class ReadsBenchmark
{
    private const string AdminKey = "qgw-reads-benchmark-admin-key";

    public static async Task<int> RunAsync(int small, int large, int workers, TimeSpan duration, int rounds)
    {
        var (pass, summary) = await RunCoreAsync(small, large, workers, duration, rounds);
        summary.Insert(0, "suite", "reads");
        Console.WriteLine(summary.ToJsonString());
        return pass ? 0 : 1;
    }

    /// <summary>The measurement, its figures and verdicts as one JSON object (the scale suite nests it in its own line).</summary>
    public static async Task<(bool Pass, JsonObject Summary)> RunCoreAsync(int small, int large, int workers, TimeSpan duration, int rounds)
    {
        Console.WriteLine($"Reads benchmark: {small} and {large} registries, {workers} workers, {duration.TotalSeconds:F0} s per measurement; load average {LoadAverage()}");
        // Both servers and both gateways start at once: one after the other, the four starts (initdb, then the gateway's
        // JIT and its migrations of an empty database) took over 400 s at load average 35–67, and the scale suite's run
        // was stopped before the second gateway was up. Each start's time is printed.
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var pgStarts = new[] { DevPostgres.StartThrowawayAsync(), DevPostgres.StartThrowawayAsync() };
        await using var smallPg = await pgStarts[0].WaitOrDisposeAsync(pgStarts[1]);
        await using var largePg = await pgStarts[1];
        Console.WriteLine($"both PostgreSQL servers up after {clock.Elapsed.TotalSeconds:F1} s");
        string[] settings = ["--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false", "--Gateway:Clusters:sandbox:sandbox=true"];
        var gatewayStarts = new[] { GatewayProcess.StartAsync(smallPg.ConnectionString, AdminKey, settings), GatewayProcess.StartAsync(largePg.ConnectionString, AdminKey, settings) };
        await using var smallGw = await gatewayStarts[0].WaitOrDisposeAsync(gatewayStarts[1]);
        await using var largeGw = await gatewayStarts[1];
        Console.WriteLine($"both gateways ready after {clock.Elapsed.TotalSeconds:F1} s");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = workers * 2 }) { Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);

        var smallIds = await SeedAsync(http, smallGw.Url, smallPg.ConnectionString, small);
        var largeIds = await SeedAsync(http, largeGw.Url, largePg.ConnectionString, large);

        // The list: four filter shapes in turn, each following nextCursor for up to 20 pages, then starting over.
        string[] filters = ["", "?state=Ready", "?cluster=cluster-3", "?state=Failed&cluster=cluster-7", "?namespace=ns-42"];
        var cursors = new string?[workers];
        var shapes = new int[workers];
        var pages = new int[workers];
        async Task<bool> List(int i)
        {
            var w = i / 1_000_000; // LoadRunner numbers each worker's requests from worker × 1,000,000
            var baseQuery = filters[shapes[w] % filters.Length];
            var url = $"{largeGw.Url}/v1/registries{baseQuery}";
            if (cursors[w] is { } c)
            {
                url += (baseQuery.Length == 0 ? "?" : "&") + "cursor=" + Uri.EscapeDataString(c);
            }

            using var r = await http.GetAsync(url);
            var body = await r.Content.ReadAsStringAsync();
            if (!r.IsSuccessStatusCode)
            {
                return false;
            }

            cursors[w] = (string?)JsonNode.Parse(body)!["nextCursor"];
            if (cursors[w] is null || ++pages[w] >= 20)
            {
                (cursors[w], pages[w]) = (null, 0);
                shapes[w]++;
            }

            return true;
        }

        async Task<bool> Status(int _)
        {
            using var r = await http.GetAsync($"{largeGw.Url}/v1/status");
            await r.Content.LoadIntoBufferAsync();
            return r.IsSuccessStatusCode;
        }

        Func<int, Task<bool>> Get(string url, List<Guid> ids) => async i =>
        {
            using var r = await http.GetAsync($"{url}/v1/registries/{ids[Random.Shared.Next(ids.Count)]}");
            await r.Content.LoadIntoBufferAsync();
            return r.IsSuccessStatusCode;
        };

        // Warm-up: the JIT of both gateways on every endpoint measured.
        await LoadRunner.RunAsync("warm-up list", workers, duration / 2, List);
        await LoadRunner.RunAsync("warm-up status", workers, duration / 2, Status);
        await LoadRunner.AlternateAsync("warm-up GET large", Get(largeGw.Url, largeIds), "warm-up GET small", Get(smallGw.Url, smallIds), workers, duration, rounds);

        Array.Clear(cursors);
        var list = await LoadRunner.RunAsync($"GET /v1/registries ({large} rows, filters, cursor)", workers, duration, List);
        using var largeProcess = System.Diagnostics.Process.GetProcessById(largeGw.Id);
        var cpuBefore = largeProcess.TotalProcessorTime;
        var status = await LoadRunner.RunAsync($"GET /v1/status ({large} rows)", workers, duration, Status);
        largeProcess.Refresh();
        // The gateway's own share of a status answer (EF Core, serialization, Kestrel), against its latency with 8 workers.
        var statusCpuMs = (largeProcess.TotalProcessorTime - cpuBefore).TotalMilliseconds / Math.Max(1, status.Requests);
        var (getLarge, getSmall, getRounds) = await LoadRunner.AlternateAsync(
            $"GET /v1/registries/{{id}} ({large} rows)", Get(largeGw.Url, largeIds), $"GET /v1/registries/{{id}} ({small} rows)", Get(smallGw.Url, smallIds),
            workers, duration * 2, rounds);
        var ratio = getLarge.RequestsPerSecond / getSmall.RequestsPerSecond;

        foreach (var result in new[] { list, status, getLarge, getSmall })
        {
            Console.WriteLine(result);
        }

        Console.WriteLine($"gateway process CPU per status answer: {statusCpuMs:F2} ms");
        Console.WriteLine($"GET by id throughput {large} rows / {small} rows: {ratio:P0}; per round {string.Join(' ', getRounds)}");
        await ExplainAsync(largePg.ConnectionString);
        Console.WriteLine($"load average at the end {LoadAverage()}");
        var failed = list.Failures + status.Failures + getLarge.Failures + getSmall.Failures;
        var summary = new JsonObject
        {
            ["rows"] = new JsonArray(small, large),
            ["listP50Ms"] = Math.Round(list.MedianMs, 1),
            ["listP99Ms"] = Math.Round(list.P99Ms, 1),
            ["listP99"] = list.P99Ms < 50 ? "PASS" : "MISS",
            ["statusP50Ms"] = Math.Round(status.MedianMs, 1),
            ["statusP99Ms"] = Math.Round(status.P99Ms, 1),
            ["statusP99"] = status.P99Ms < 100 ? "PASS" : "MISS",
            ["statusGatewayCpuMs"] = Math.Round(statusCpuMs, 2),
            ["getByIdPerSecond"] = new JsonArray(Math.Round(getSmall.RequestsPerSecond), Math.Round(getLarge.RequestsPerSecond)),
            ["getByIdRatio"] = Math.Round(ratio, 3),
            ["getById"] = ratio >= 0.9 ? "PASS" : "MISS",
            ["failed"] = failed,
        };
        return (list.P99Ms < 50 && status.P99Ms < 100 && ratio >= 0.9 && failed == 0, summary);
    }

    /// <summary>Creates one registry through the API, copies it into <paramref name="count"/> rows in all, and returns ids to read.</summary>
    private static async Task<List<Guid>> SeedAsync(HttpClient http, string url, string connectionString, int count)
    {
        using var created = await http.PostAsync($"{url}/v1/registries",
            new StringContent("""{"name":"template","namespace":"reads-bench"}""", System.Text.Encoding.UTF8, "application/json"));
        if (created.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"create: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        }

        var template = Guid.Parse((string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        // The throwaway server runs with synchronous_commit=off: a VACUUM right after the seed's COMMIT, before the WAL
        // writer has flushed it, may not set the rows' hint bits, so it marks no page all-visible (relallvisible 0 of
        // 6,667 pages, and the status's counts read every heap page). The seed's commit waits for its flush instead.
        await using (var synchronous = new NpgsqlCommand("SET synchronous_commit = on", connection))
        {
            await synchronous.ExecuteNonQueryAsync();
        }

        await using (var seed = new NpgsqlCommand(
            """
            INSERT INTO gateway.registries
            SELECT (jsonb_populate_record(r, jsonb_build_object(
                'id', gen_random_uuid(),
                'name', 'seed-' || i,
                'namespace', 'ns-' || (i % 500),
                'cluster', 'cluster-' || (i % 10),
                'tenant', CASE WHEN i % 10 < 4 THEN r.tenant ELSE 'tenant-' || (i % 10) END,
                'state', s.state,
                'health', s.health,
                'created_at', now() - make_interval(secs => i),
                'updated_at', now() - make_interval(secs => i / 2)))).*
            FROM gateway.registries r, generate_series(1, @n) i,
                 LATERAL (SELECT CASE i % 20 WHEN 0 THEN 'Failed' WHEN 1 THEN 'Degraded' WHEN 2 THEN 'Deleted' WHEN 3 THEN 'Progressing'
                                              WHEN 4 THEN 'Blocked' ELSE 'Ready' END AS state,
                                 CASE i % 20 WHEN 0 THEN 'Unknown' WHEN 1 THEN 'Degraded' WHEN 2 THEN 'Missing' WHEN 3 THEN 'Progressing'
                                              WHEN 4 THEN 'Unknown' ELSE 'Healthy' END AS health) s
            WHERE r.id = @t;
            """, connection))
        {
            seed.CommandTimeout = 600;
            seed.Parameters.AddWithValue("n", count - 1);
            seed.Parameters.AddWithValue("t", template);
            await seed.ExecuteNonQueryAsync();
        }

        // VACUUM as autovacuum would within a minute of so many inserts: it sets the visibility map, without which an
        // index-only scan (the status's counts) still reads every row it counts. A table in service has been vacuumed.
        await using (var vacuum = new NpgsqlCommand("VACUUM (ANALYZE) gateway.registries", connection) { CommandTimeout = 600 })
        {
            await vacuum.ExecuteNonQueryAsync();
        }

        await PrintVisibilityAsync(connection, "after VACUUM");

        await using var ids = new NpgsqlCommand(
            "SELECT id FROM gateway.registries WHERE tenant = (SELECT tenant FROM gateway.registries WHERE id = @t) ORDER BY random() LIMIT 5000", connection);
        ids.Parameters.AddWithValue("t", template);
        var result = new List<Guid>();
        await using (var reader = await ids.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                result.Add(reader.GetGuid(0));
            }
        }

        Console.WriteLine($"seeded {count} registries in {clock.Elapsed.TotalSeconds:F1} s; reading {result.Count} of the benchmark tenant's ids");
        return result;
    }

    /// <summary>Where the time goes: the plans of the list's and the status's queries on the large table, as EF Core sends them.</summary>
    private static async Task ExplainAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await PrintVisibilityAsync(connection, "at EXPLAIN");
        await using var tenantOf = new NpgsqlCommand("SELECT tenant FROM gateway.registries WHERE name = 'template'", connection);
        var tenant = ((string)(await tenantOf.ExecuteScalarAsync())!).Replace("'", "''", StringComparison.Ordinal);
        string[] queries =
        [
            $"SELECT * FROM gateway.registries r WHERE r.tenant = '{tenant}' ORDER BY r.created_at DESC, r.id DESC LIMIT 51",
            $"SELECT * FROM gateway.registries r WHERE r.tenant = '{tenant}' AND r.state = 'Failed' AND r.cluster = 'cluster-7' ORDER BY r.created_at DESC, r.id DESC LIMIT 51",
            $"SELECT * FROM gateway.registries r WHERE r.tenant = '{tenant}' AND r.namespace = 'ns-42' AND (r.created_at, r.id) < (now() - interval '4 hours', '00000000-0000-0000-0000-000000000000') ORDER BY r.created_at DESC, r.id DESC LIMIT 51",
            $"SELECT r.state, r.health, count(*)::int FROM gateway.registries r WHERE r.tenant = '{tenant}' AND r.state <> 'Deleted' GROUP BY r.state, r.health",
            $"SELECT r.id, r.name, r.namespace, r.cluster, r.state, r.health, r.health_causes FROM gateway.registries r WHERE r.tenant = '{tenant}' AND r.state <> 'Deleted' AND (r.state IN ('Blocked', 'Degraded', 'Failed') OR r.health = 'Degraded' OR r.health = 'Missing') ORDER BY r.name LIMIT 200",
        ];
        foreach (var sql in queries)
        {
            await PrintPlanAsync(connection, sql);
        }

        // A table in service is not freshly vacuumed: the watcher writes status all the time, and each update clears its
        // page's all-visible bit until the next (auto)vacuum. The counts again after 1% of the rows (random pages,
        // no vacuum yet) were updated: the index-only scan fetches the heap for those pages only.
        await using (var update = new NpgsqlCommand("UPDATE gateway.registries SET updated_at = now() WHERE random() < 0.01", connection))
        {
            Console.WriteLine($"updated {await update.ExecuteNonQueryAsync()} rows without a vacuum");
        }

        await PrintPlanAsync(connection, queries[3]);
    }

    private static async Task PrintPlanAsync(NpgsqlConnection connection, string sql)
    {
        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql, connection);
        await using var reader = await explain.ExecuteReaderAsync();
        Console.WriteLine($"plan: {sql}");
        while (await reader.ReadAsync())
        {
            Console.WriteLine("  " + reader.GetString(0));
        }
    }

    /// <summary>How much of the table the visibility map marks all-visible (index-only scans skip those pages), and who holds the xmin horizon back.</summary>
    private static async Task PrintVisibilityAsync(NpgsqlConnection connection, string when)
    {
        await using var command = new NpgsqlCommand(
            """
            SELECT c.relpages, c.relallvisible,
                   (SELECT string_agg(coalesce(application_name, '') || ' ' || coalesce(state, '') || ' xmin ' || backend_xmin::text || ' xid ' || coalesce(backend_xid::text, '-') || ' ' || left(query, 60), '; ')
                    FROM pg_stat_activity WHERE backend_xmin IS NOT NULL AND pid <> pg_backend_pid()) AS holders,
                   txid_current() AS now_xid
            FROM pg_class c WHERE c.oid = 'gateway.registries'::regclass
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Console.WriteLine($"visibility {when}: relpages {reader.GetInt32(0)}, relallvisible {reader.GetInt32(1)}; xmin holders: {(reader.IsDBNull(2) ? "none" : reader.GetString(2))}; xid {reader.GetInt64(3)}");
    }

    /// <summary>The start's result; when it fails, the other start is awaited and disposed first, so no server outlives the run.</summary>
    private static async Task<T> WaitOrDisposeAsync<T>(this Task<T> start, Task<T> other) where T : IAsyncDisposable
    {
        try
        {
            return await start;
        }
        catch
        {
            try
            {
                await (await other).DisposeAsync();
            }
            catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or NpgsqlException)
            {
                // the other start failed too; the first failure is the one to report
            }

            throw;
        }
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
