using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Npgsql;
using QuayGateway.Benchmarks.Scale;
using QuayGateway.DevServices;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Benchmarks.Streams;

/// <summary>
/// Event streams pushed from one LISTEN connection per replica (<c>TimelineFeed</c>), measured at few and at many
/// subscribers in one run, on a throwaway PostgreSQL with the gateway as a separate process (no job server, no
/// watches: the streams are measured, not rollouts). For each size: that many SSE subscribers on <c>/v1/events</c>;
/// an idle window (gateway CPU, PostgreSQL transactions/s from <c>pg_stat_database</c>); then a load window where
/// four writers commit timeline entries straight into PostgreSQL at a fixed rate (out of id order among themselves).
/// Targets: delivery p99 &lt; 250 ms from commit; zero lost or duplicated entries per subscriber; idle streams under 5%
/// of one core; PostgreSQL transactions/s at many subscribers within 1.5× (+5/s) of the figure at few.
/// </summary>
public static class StreamsBenchmark
{
    private const string AdminKey = "qgw-streams-benchmark-admin-key";
    private const int Writers = 4;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(12);
    private const int OpenConcurrency = 50;
    private const int OpenAttempts = 5;
    private static readonly TimeSpan SettleLimit = TimeSpan.FromMinutes(3);

    public static async Task<int> RunAsync(int few, int many, int eventsPerSecond, TimeSpan load, TimeSpan idle)
    {
        var (pass, summary) = await RunCoreAsync(few, many, eventsPerSecond, load, idle, rolloutsPerSecond: 0);
        summary.Insert(0, "suite", "streams");
        Console.WriteLine(summary.ToJsonString());
        return pass ? 0 : 1;
    }

    /// <summary>
    /// The measurement; with <paramref name="rolloutsPerSecond"/> above 0 (the scale suite) the gateway also runs its
    /// job server and watches against a sandbox cluster in its own process, and registries are created at that rate in
    /// every load window, so the streams carry real rollouts' entries too: those are checked for loss and duplicates
    /// like the writers' (every entry of the tenant stamped inside the load window), while the delivery delay is timed
    /// on the writers' entries, whose commit the benchmark times.
    /// </summary>
    public static async Task<(bool Pass, JsonObject Summary)> RunCoreAsync(int few, int many, int eventsPerSecond, TimeSpan load, TimeSpan idle, int rolloutsPerSecond)
    {
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        await using var sandbox = rolloutsPerSecond > 0 ? await SandboxProcess.StartAsync("streams", TimeSpan.FromMilliseconds(500)) : null;
        string[] settings = sandbox is null
            ? ["--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false", "--Gateway:Clusters:sandbox:sandbox=true"]
            : [$"--Gateway:Clusters:{sandbox.Name}:kubeconfig={sandbox.KubeconfigPath}", $"--Gateway:DefaultCluster={sandbox.Name}"];
        // A platform team's portal tabs all count against its tenant's eventStreams quota, set here as an operator would
        // (room for both phases), so every stream takes, renews and returns a lease as in production.
        settings = [.. settings, "--Gateway:Tenants:Default:Clusters:0=*", "--Gateway:Tenants:Default:Namespaces:0=*",
            $"--Gateway:Tenants:Default:Quotas:EventStreams={few + many}"];
        await using var gateway = await GatewayProcess.StartAsync(postgres.ConnectionString, AdminKey, settings);
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, PooledConnectionLifetime = Timeout.InfiniteTimeSpan })
        {
            BaseAddress = new Uri(gateway.Url), Timeout = Timeout.InfiniteTimeSpan,
        };
        http.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);

        var registries = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            using var created = await http.PostAsync("/v1/registries", JsonContent($$"""{"name":"stream-{{i}}","namespace":"streams-bench"}"""));
            if (created.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"create: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            }

            registries.Add(Guid.Parse((string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!));
        }

        var database = new NpgsqlConnectionStringBuilder(postgres.ConnectionString).Database!;
        Console.WriteLine($"Streams benchmark: {few} then {many} SSE subscribers on /v1/events; {eventsPerSecond} timeline entries/s from {Writers} writers " +
                          $"for {load.TotalSeconds:F0} s{(rolloutsPerSecond > 0 ? $" with {rolloutsPerSecond} rollouts/s on a sandbox process" : "")}; " +
                          $"idle windows of {idle.TotalSeconds:F0} s; load average {LoadAverage()}");

        var results = new List<Phase>();
        foreach (var size in new[] { few, many })
        {
            results.Add(await RunPhaseAsync(http, gateway, postgres.ConnectionString, database, registries, size, eventsPerSecond, load, idle, rolloutsPerSecond));
        }

        var (small, large) = (results[0], results[1]);
        var p99 = Math.Max(small.P99Ms, large.P99Ms);
        var lost = results.Sum(r => r.Lost);
        var duplicated = results.Sum(r => r.Duplicated);
        // With rollouts the gateway's job server and watches run in the idle windows too, at both sizes: what the idle
        // streams cost is then the many-subscriber figure less the few-subscriber one (both are printed).
        var idleCpu = rolloutsPerSecond > 0 ? Math.Max(0, large.IdleCpuPercent - small.IdleCpuPercent) : large.IdleCpuPercent;
        var tpsBound = (small.LoadTps * 1.5) + 5;
        var idleTpsBound = (small.IdleTps * 1.5) + 5;
        var independent = large.LoadTps <= tpsBound && large.IdleTps <= idleTpsBound;
        foreach (var r in results)
        {
            Console.WriteLine($"{r.Subscribers,5} subscribers: {r.Events} entries, {r.Deliveries} deliveries; delivery p50 {r.P50Ms:F1} ms p99 {r.P99Ms:F1} ms max {r.MaxMs:F1} ms; " +
                              $"first subscriber p50 {r.FirstP50Ms:F1} ms p99 {r.FirstP99Ms:F1} ms, first to last subscriber p50 {r.SpreadP50Ms:F1} ms p99 {r.SpreadP99Ms:F1} ms; " +
                              $"lost {r.Lost}, duplicated {r.Duplicated}, unexpected {r.Unexpected}; idle CPU {r.IdleCpuPercent:F2}% of a core, load CPU {r.LoadCpuPercent:F1}% (the benchmark's subscribers and writers {r.ClientLoadCpuPercent:F1}%); " +
                              $"PostgreSQL {r.IdleTps:F1} tx/s idle, {r.LoadTps:F1} tx/s under load ({r.WriterTps:F1} of them the writers'); gateway RSS {r.RssMb:F0} MB");
        }

        Console.WriteLine($"load average at the end {LoadAverage()}");
        var summary = new JsonObject
        {
            ["subscribers"] = new JsonArray(small.Subscribers, large.Subscribers),
            ["entries"] = new JsonArray(small.Events, large.Events),
            ["deliveryP50Ms"] = Math.Round(Math.Max(small.P50Ms, large.P50Ms), 1),
            ["deliveryP99Ms"] = Math.Round(p99, 1),
            ["deliveryP99"] = p99 < 250 ? "PASS" : "MISS",
            ["firstSubscriberP99Ms"] = new JsonArray(Math.Round(small.FirstP99Ms, 1), Math.Round(large.FirstP99Ms, 1)),
            ["firstToLastSubscriberP99Ms"] = new JsonArray(Math.Round(small.SpreadP99Ms, 1), Math.Round(large.SpreadP99Ms, 1)),
            ["benchmarkCpuPercentUnderLoad"] = new JsonArray(Math.Round(small.ClientLoadCpuPercent, 1), Math.Round(large.ClientLoadCpuPercent, 1)),
            ["lost"] = lost,
            ["duplicated"] = duplicated,
            ["lostOrDuplicated"] = lost + duplicated + results.Sum(r => r.Unexpected) == 0 ? "PASS" : "MISS",
            ["idleCpuPercentOfCore"] = Math.Round(idleCpu, 2),
            ["idleCpuPercentOfCoreMeasured"] = new JsonArray(Math.Round(small.IdleCpuPercent, 2), Math.Round(large.IdleCpuPercent, 2)),
            ["idleCpu"] = idleCpu < 5 ? "PASS" : "MISS",
            ["pgTxPerSecondIdle"] = new JsonArray(Math.Round(small.IdleTps, 1), Math.Round(large.IdleTps, 1)),
            ["pgTxPerSecondLoad"] = new JsonArray(Math.Round(small.LoadTps, 1), Math.Round(large.LoadTps, 1)),
            ["pgIndependentOfSubscribers"] = independent ? "PASS" : "MISS",
        };
        if (rolloutsPerSecond > 0)
        {
            summary["rolloutEntriesChecked"] = new JsonArray(small.RolloutEvents, large.RolloutEvents);
        }

        return (p99 < 250 && lost + duplicated + results.Sum(r => r.Unexpected) == 0 && idleCpu < 5 && independent, summary);
    }

    private sealed record Phase(int Subscribers, int Events, long Deliveries, double P50Ms, double P99Ms, double MaxMs, long Lost, long Duplicated,
        long Unexpected, double IdleCpuPercent, double LoadCpuPercent, double IdleTps, double LoadTps, double WriterTps, double RssMb, int RolloutEvents,
        double FirstP50Ms, double FirstP99Ms, double SpreadP50Ms, double SpreadP99Ms, double ClientLoadCpuPercent);

    private static async Task<Phase> RunPhaseAsync(HttpClient http, GatewayProcess gateway, string connectionString, string database,
        List<Guid> registries, int size, int eventsPerSecond, TimeSpan load, TimeSpan idle, int rolloutsPerSecond)
    {
        using var stop = new CancellationTokenSource();
        var subscribers = Enumerable.Range(0, size).Select(_ => new Subscriber()).ToList();
        // At most OpenConcurrency opens at a time; a 503 (the gateway's database busy, seen with a job server and the
        // watches on an oversubscribed machine) is retried after its Retry-After, as a reconnecting client would, and counted.
        var openRetries = 0;
        await Parallel.ForEachAsync(subscribers, new ParallelOptions { MaxDegreeOfParallelism = OpenConcurrency }, async (s, _) =>
            Interlocked.Add(ref openRetries, await s.OpenAsync(http, stop.Token)));
        if (openRetries > 0)
        {
            Console.WriteLine($"  {size} subscribers: {openRetries} opens answered 503 and were retried");
        }
        var pumps = subscribers.Select(s => s.PumpAsync(stop.Token)).ToList();
        // With rollouts, the gateway's own work on them (jobs, watch updates, webhooks) goes on after their load window
        // and into the next phase's idle windows (the 20 first registries' into the first phase's): minutes at a high
        // load average. That is not the streams' cost, and it made the idle counts depend on when the last rollout
        // ended, not on the subscribers (111.7 tx/s at 2,000 against 26.4 at 10 in one run, 85.7 at 200 against 135.2
        // in another). So the idle windows start once every registry has settled and no job waits.
        if (rolloutsPerSecond > 0)
        {
            Console.WriteLine($"  {size} subscribers: {await SettleRolloutsAsync(connectionString)}");
        }

        // Settle: the opens' own queries reach pg_stat_database late (an idle backend reports its counts after up to
        // 10 s), and must not be counted in the idle window.
        await Task.Delay(Settle);

        using var process = Process.GetProcessById(gateway.Id);
        // Idle: streams open, nothing written; twice, to show whether the counts still settle.
        var trace = await DatabaseActivity.TraceAsync(connectionString);
        var beforeIdle = await DatabaseActivity.ReadAsync(connectionString);
        var (earlyCpu, earlyTps) = await MeasureAsync(process, connectionString, database, idle, () => Task.CompletedTask);
        var betweenIdle = await DatabaseActivity.ReadAsync(connectionString);
        var (idleCpu, idleTps) = await MeasureAsync(process, connectionString, database, idle, () => Task.CompletedTask);
        var afterIdle = await DatabaseActivity.ReadAsync(connectionString);
        if (trace is not null)
        {
            Console.WriteLine($"  {size} subscribers idle, statements in both windows:\n{await trace()}");
        }
        Console.WriteLine($"  {size} subscribers idle: first window {earlyCpu:F2}% CPU {earlyTps:F1} tx/s, second window {idleCpu:F2}% CPU {idleTps:F1} tx/s");
        Console.WriteLine($"  {size} subscribers idle, tables touched (scans/rows written): first window {betweenIdle.Since(beforeIdle)}; second window {afterIdle.Since(betweenIdle)}");

        // Load: writers commit entries at a fixed rate; each commit's start is its time (an upper bound on the delay).
        var committedAt = new System.Collections.Concurrent.ConcurrentDictionary<long, long>();
        var perWriter = eventsPerSecond / (double)Writers;
        var total = (int)(eventsPerSecond * load.TotalSeconds);
        var loadStarted = DateTime.UtcNow;
        // The benchmark's own CPU over the load window: its subscribers' reads (and the writers) share the machine with the
        // gateway, so a busy client shows as delivery delay.
        using var self = Process.GetCurrentProcess();
        var clientCpuBefore = self.TotalProcessorTime;
        var loadClock = Stopwatch.StartNew();
        var (loadCpu, loadTps) = await MeasureAsync(process, connectionString, database, load, () => Task.WhenAll(StartRollouts(http, size, rolloutsPerSecond, load), Task.WhenAll(Enumerable.Range(0, Writers).Select(async w =>
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync();
            var clock = Stopwatch.StartNew();
            for (var i = w; i < total; i += Writers)
            {
                var due = TimeSpan.FromSeconds(i / Writers / perWriter);
                if (due > clock.Elapsed)
                {
                    await Task.Delay(due - clock.Elapsed);
                }

                await using var insert = new NpgsqlCommand(
                    "INSERT INTO gateway.registry_events (registry_id, at, type, state, message) VALUES (@r, now(), 'Drift', 'Accepted', @m) RETURNING id",
                    connection);
                insert.Parameters.AddWithValue("r", registries[i % registries.Count]);
                insert.Parameters.AddWithValue("m", $"entry {i}");
                var started = Stopwatch.GetTimestamp();
                var id = (long)(await insert.ExecuteScalarAsync())!;
                committedAt[id] = started;
                // After the commit, as the gateway's writers do (TimelineAnnouncer).
                await using var announce = new NpgsqlCommand($"SELECT pg_notify('{TimelineFeed.Channel}', '')", connection);
                await announce.ExecuteNonQueryAsync();
            }
        }))));
        var loadEnded = DateTime.UtcNow;
        self.Refresh();
        var clientCpu = (self.TotalProcessorTime - clientCpuBefore).TotalSeconds / loadClock.Elapsed.TotalSeconds * 100;
        await Task.Delay(TimeSpan.FromSeconds(3)); // stragglers
        var rss = gateway.Memory().Peak / 1024.0 / 1024.0;
        await stop.CancelAsync();
        await Task.WhenAll(pumps);

        // The rollouts' entries: every one stamped inside the load window (all subscribers were open long before) is due
        // to every subscriber; their commit time is not known here, so they count for loss and duplicates, not delay.
        var rolloutEvents = rolloutsPerSecond > 0 ? await RolloutEventsAsync(connectionString, loadStarted, loadEnded) : [];
        var known = rolloutsPerSecond > 0 ? await EventIdsAsync(connectionString) : [];
        var delays = new List<double>();
        // Per entry, its earliest and latest arrival over the subscribers: the earliest is the way to the replica's
        // fan-out (commit, NOTIFY, the feed's read, one stream's write, one client's read); the spread after it is the
        // fan-out to every stream and every client's read.
        var firstAndLast = new Dictionary<long, (double First, double Last)>();
        long lost = 0, duplicated = 0, unexpected = 0;
        foreach (var subscriber in subscribers)
        {
            var seen = new HashSet<long>();
            foreach (var (id, at) in subscriber.Received)
            {
                if (!committedAt.TryGetValue(id, out var committed))
                {
                    // With rollouts, their entries (in the table) are expected; anything else is not.
                    if (!known.Contains(id))
                    {
                        unexpected++;
                    }
                    else if (!seen.Add(id))
                    {
                        duplicated++;
                    }

                    continue;
                }

                if (!seen.Add(id))
                {
                    duplicated++;
                    continue;
                }

                var delay = Stopwatch.GetElapsedTime(committed, at).TotalMilliseconds;
                delays.Add(delay);
                firstAndLast[id] = firstAndLast.TryGetValue(id, out var before) ? (Math.Min(before.First, delay), Math.Max(before.Last, delay)) : (delay, delay);
            }

            lost += committedAt.Keys.Count(id => !seen.Contains(id)) + rolloutEvents.Count(id => !seen.Contains(id));
            if (subscriber.Error is { } error)
            {
                Console.Error.WriteLine($"a subscriber failed: {error.Message}");
            }
        }

        delays.Sort();
        var first = firstAndLast.Values.Select(v => v.First).Order().ToList();
        var spread = firstAndLast.Values.Select(v => v.Last - v.First).Order().ToList();
        return new Phase(size, committedAt.Count, delays.Count, Percentile(delays, 0.5), Percentile(delays, 0.99), delays.Count == 0 ? double.NaN : delays[^1],
            lost, duplicated, unexpected, idleCpu, loadCpu, idleTps, loadTps, committedAt.Count / load.TotalSeconds, rss, rolloutEvents.Count,
            Percentile(first, 0.5), Percentile(first, 0.99), Percentile(spread, 0.5), Percentile(spread, 0.99), clientCpu);
    }

    /// <summary>
    /// Waits (up to <see cref="SettleLimit"/>) until no registry is on its way (every one Ready or stopped in Blocked,
    /// Degraded, Failed, Deleted), no Hangfire job waits in a queue and the timeline has had no new entry for 2 s; says how
    /// long that took.
    /// </summary>
    private static async Task<string> SettleRolloutsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        var clock = Stopwatch.StartNew();
        var quietSince = TimeSpan.Zero;
        long lastEntry = -1;
        while (true)
        {
            await using var query = new NpgsqlCommand(
                """
                SELECT (SELECT count(*) FROM gateway.registries WHERE state NOT IN ('Ready', 'Blocked', 'Degraded', 'Failed', 'Deleted')),
                       (SELECT count(*) FROM hangfire.jobqueue),
                       (SELECT coalesce(max(id), 0) FROM gateway.registry_events)
                """, connection);
            await using (var reader = await query.ExecuteReaderAsync())
            {
                await reader.ReadAsync();
                var (moving, queued, entry) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
                if (moving > 0 || queued > 0 || entry != lastEntry)
                {
                    quietSince = clock.Elapsed;
                    lastEntry = entry;
                }

                if (clock.Elapsed - quietSince >= TimeSpan.FromSeconds(2))
                {
                    return $"rollouts settled after {clock.Elapsed.TotalSeconds:F0} s (no registry on its way, no job queued, no new timeline entry for 2 s)";
                }

                if (clock.Elapsed > SettleLimit)
                {
                    return $"rollouts NOT settled after {SettleLimit.TotalSeconds:F0} s ({moving} registries on their way, {queued} jobs queued); the idle windows include their work";
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(500));
        }
    }

    /// <summary>Creates registries at <paramref name="perSecond"/> for the window (none at 0): rollouts on the sandbox while the streams run.</summary>
    private static Task StartRollouts(HttpClient http, int phase, int perSecond, TimeSpan window) => perSecond <= 0 ? Task.CompletedTask : Task.Run(async () =>
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < (int)(perSecond * window.TotalSeconds); i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)perSecond);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed);
            }

            using var created = await http.PostAsync("/v1/registries", JsonContent($$"""{"name":"registry","namespace":"rollout-{{phase}}-{{i}}"}"""));
            if (created.StatusCode != HttpStatusCode.Accepted)
            {
                throw new InvalidOperationException($"create: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
            }
        }
    });

    private static async Task<List<long>> RolloutEventsAsync(string connectionString, DateTime from, DateTime to)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT id FROM gateway.registry_events WHERE type <> 'BenchmarkEntry' AND at >= @from AND at <= @to", connection);
        query.Parameters.AddWithValue("from", from);
        query.Parameters.AddWithValue("to", to);
        var ids = new List<long>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    private static async Task<HashSet<long>> EventIdsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT id FROM gateway.registry_events", connection);
        var ids = new HashSet<long>();
        await using var reader = await query.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    /// <summary>The gateway's CPU (percent of one core) and the database's committed and rolled-back transactions per second over a window.</summary>
    private static async Task<(double CpuPercent, double Tps)> MeasureAsync(Process process, string connectionString, string database, TimeSpan window, Func<Task> work)
    {
        process.Refresh();
        var cpuBefore = process.TotalProcessorTime;
        var txBefore = await TransactionsAsync(connectionString, database);
        var clock = Stopwatch.StartNew();
        var running = work();
        await Task.WhenAll(running, Task.Delay(window));
        // Statistics reach pg_stat_database when a backend reports them (at most about a second late).
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var elapsed = clock.Elapsed;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpuBefore).TotalSeconds / elapsed.TotalSeconds * 100;
        var tx = await TransactionsAsync(connectionString, database) - txBefore - 2; // the two reads of the counter
        return (cpu, tx / elapsed.TotalSeconds);
    }

    private static async Task<long> TransactionsAsync(string connectionString, string database)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT pg_stat_force_next_flush(); SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = @d", connection);
        command.Parameters.AddWithValue("d", database);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.NextResultAsync();
        await reader.ReadAsync();
        return reader.GetInt64(0);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static StringContent JsonContent(string json) => new(json, System.Text.Encoding.UTF8, "application/json");

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";

    /// <summary>One SSE subscriber: the id of every event it receives, with the time it arrived.</summary>
    private sealed class Subscriber
    {
        private readonly List<(long Id, long At)> _received = [];
        private Stream? _body;

        public IReadOnlyList<(long Id, long At)> Received => _received;

        public Exception? Error { get; private set; }

        /// <summary>Opens the stream; returns how many 503 answers were retried first.</summary>
        public async Task<int> OpenAsync(HttpClient http, CancellationToken ct)
        {
            for (var attempt = 1; ; attempt++)
            {
                var request = new HttpRequestMessage(HttpMethod.Get, "/v1/events");
                request.Headers.Accept.ParseAdd("text/event-stream");
                var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable && attempt < OpenAttempts)
                {
                    await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1), ct);
                    response.Dispose();
                    continue;
                }

                if (response.StatusCode != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"/v1/events: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(ct)}");
                }

                _body = await response.Content.ReadAsStreamAsync(ct);
                return attempt - 1;
            }
        }

        /// <summary>
        /// Reads the stream's bytes and notes each <c>id:</c> line with the time its read returned. Bytes, not lines:
        /// 2,000 readers in the benchmark's process share its cores with the load and the gateway, and a string per line
        /// (the <c>data:</c> lines are most of the bytes) made the clients' parsing part of the measured delay.
        /// </summary>
        public async Task PumpAsync(CancellationToken ct)
        {
            try
            {
                var buffer = new byte[16 * 1024];
                var line = new byte[32]; // an id line is "id: " and at most 19 digits; longer lines are not kept
                var length = 0;
                while (await _body!.ReadAsync(buffer, ct) is var read and > 0)
                {
                    var at = Stopwatch.GetTimestamp();
                    foreach (var b in buffer.AsSpan(0, read))
                    {
                        if (b != (byte)'\n')
                        {
                            line[Math.Min(length, line.Length - 1)] = b;
                            length++;
                            continue;
                        }

                        if (length < line.Length && line.AsSpan(0, length).StartsWith("id: "u8)
                            && System.Buffers.Text.Utf8Parser.TryParse(line.AsSpan(4, length - 4), out long id, out var consumed) && consumed == length - 4)
                        {
                            _received.Add((id, at));
                        }

                        length = 0;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // the phase ended
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                Error = e;
            }
        }
    }
}
