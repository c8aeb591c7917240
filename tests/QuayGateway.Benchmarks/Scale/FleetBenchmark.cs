using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using Npgsql;
using QuayGateway.Benchmarks.Engine;
using QuayGateway.DevServices;
using QuayGateway.Registries.Model;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Benchmarks.Scale;

/// <summary>
/// The fleet part of the scale suite (issue 21): <c>clusters</c> sandbox clusters, each its own process, and two
/// gateway replicas (separate processes) on one throwaway PostgreSQL, sharing the watches. A paced phase (ten
/// rollouts a second, spread over the clusters) gives the propagation latency and the Kubernetes requests per rollout;
/// then the rest of the fleet is requested at once, and the time the gateway has every registry Available is compared
/// with the time the last sandbox does.
/// <para>
/// The sandboxes are other processes, so a condition change is timed when the benchmark's own watch on that sandbox
/// (one per cluster, as the gateway's) delivers it, not when the sandbox commits it: the latency printed leaves out
/// the watch fan-out (~1 ms median in the sandbox suite), which the engine suite, with its sandbox in process, includes.
/// </para>
/// </summary>
public static class FleetBenchmark
{
    private const string AdminKey = "qgw-scale-benchmark-admin-key";
    private const int Replicas = 2;
    private const int WarmUpPerCluster = 2;
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(15);

    public static async Task<(bool Pass, JsonObject Summary)> RunAsync(int registries, int clusters, int steady, TimeSpan phaseDelay, int workers)
    {
        Console.WriteLine($"Fleet: {registries} registries across {clusters} sandbox processes (phase delay {phaseDelay.TotalMilliseconds:F0} ms), " +
                          $"{Replicas} gateway replicas, {steady} paced rollouts first; load average {ScaleBenchmark.LoadAverage()}");
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        var sandboxes = new List<SandboxProcess>();
        var gateways = new List<GatewayProcess>();
        try
        {
            foreach (var i in Enumerable.Range(0, clusters))
            {
                sandboxes.Add(await SandboxProcess.StartAsync($"c{i}", phaseDelay));
            }

            var settings = sandboxes.Select(s => $"--Gateway:Clusters:{s.Name}:kubeconfig={s.KubeconfigPath}")
                .Append($"--Gateway:DefaultCluster={sandboxes[0].Name}").ToArray();
            for (var r = 0; r < Replicas; r++)
            {
                gateways.Add(await GatewayProcess.StartAsync(postgres.ConnectionString, AdminKey, settings));
            }

            return await MeasureAsync(postgres.ConnectionString, sandboxes, gateways, registries, steady, workers);
        }
        finally
        {
            foreach (var gateway in gateways) await gateway.DisposeAsync();
            foreach (var sandbox in sandboxes) await sandbox.DisposeAsync();
        }
    }

    private static async Task<(bool Pass, JsonObject Summary)> MeasureAsync(string connectionString, List<SandboxProcess> sandboxes,
        List<GatewayProcess> gateways, int registries, int steady, int workers)
    {
        var clusters = sandboxes.Count;
        using var stopWatching = new CancellationTokenSource();
        var writes = new EngineBenchmark.ConditionWrites();
        var watches = sandboxes.Select(s => WatchAsync(s.Client, writes, stopWatching.Token)).ToList();
        // Polled every 5 ms in the paced phase only: at full size its look-back would load PostgreSQL in the rest.
        var timeline = new EngineBenchmark.TimelinePoller(connectionString);
        // Requests go to both replicas in turn, as behind a load balancer.
        var https = gateways.Select(g =>
        {
            var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = workers }) { BaseAddress = new Uri(g.Url) };
            http.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
            return http;
        }).ToList();
        await using var progress = new FleetProgress(connectionString, gateways, sandboxes, writes, ProgressInterval);
        progress.Begin("waiting for the watches to spread");
        var spreading = Stopwatch.StartNew();
        var leadership = await WaitForLeadershipAsync(connectionString, sandboxes, gateways);
        var spreadAfter = spreading.Elapsed;
        var spreadAtStart = Spread(leadership, gateways, clusters);
        Console.WriteLine($"  watches: {Describe(leadership, gateways)}; {(spreadAtStart ? "spread" : "not spread")} after {spreadAfter.TotalSeconds:F1} s");

        // Warm-up, not measured: JIT, pools, every cluster's watches in use.
        progress.Begin("warm-up");
        var created = 0;
        await Parallel.ForEachAsync(Enumerable.Range(0, WarmUpPerCluster * clusters), async (i, _) =>
        {
            await CreateAsync(https[i % Replicas], $"warm-up-{i}", sandboxes[i % clusters].Name);
            progress.Created();
        });
        created += WarmUpPerCluster * clusters;
        await EngineBenchmark.WaitAvailableAsync(connectionString, created, TimeSpan.FromMinutes(3));

        // Paced: ten rollouts a second over the clusters, for latency and requests per rollout.
        progress.Begin("paced");
        var before = await CountRequestsAsync(sandboxes);
        var steadyIds = new ConcurrentDictionary<Guid, string>();
        for (var i = 0; i < steady; i++)
        {
            var (id, key) = await CreateAsync(https[i % Replicas], $"steady-{i}", sandboxes[i % clusters].Name);
            progress.Created();
            steadyIds[id] = key;
            await Task.Delay(100);
        }

        created += steady;
        await EngineBenchmark.WaitAvailableAsync(connectionString, created, TimeSpan.FromMinutes(5));
        await Task.Delay(1000); // the last status writes' timeline entries
        var steadyRequests = EngineBenchmark.Diff(before, await CountRequestsAsync(sandboxes));
        var latencies = writes.Latencies(timeline.Seen, steadyIds);
        await timeline.DisposeAsync();

        // At once: the rest of the fleet.
        var rest = registries - created;
        var availableBefore = writes.AvailableCount;
        before = await CountRequestsAsync(sandboxes);
        progress.Begin($"{rest} at once");
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, rest), new ParallelOptions { MaxDegreeOfParallelism = workers }, async (i, _) =>
        {
            await CreateAsync(https[i % Replicas], $"fleet-{i}", sandboxes[i % clusters].Name);
            progress.Created();
        });
        var accepted = clock.Elapsed;
        progress.Begin($"all {rest} accepted after {accepted.TotalSeconds:F1} s; rolling out");
        var sandboxDone = TimeSpan.Zero;
        var sandboxWait = Task.Run(async () =>
        {
            while (writes.AvailableCount < availableBefore + rest)
            {
                await Task.Delay(5);
            }

            sandboxDone = clock.Elapsed;
        });
        // Every 100 ms: a count over 10,000 rows every 5 ms would itself load PostgreSQL; the target is in seconds.
        // An hour: the full size is meant to take about 30 minutes in all, and a slower run should still end with its figures.
        var gatewayAvailable = await EngineBenchmark.WaitAvailableAsync(connectionString, registries, TimeSpan.FromHours(1), TimeSpan.FromMilliseconds(100));
        var gatewayDone = clock.Elapsed;
        var sandboxesDone = true;
        try
        {
            await sandboxWait.WaitAsync(TimeSpan.FromMinutes(5));
        }
        catch (TimeoutException)
        {
            // Reported, not thrown, so the run still prints its figures; the lag cannot be judged and is a MISS.
            Console.WriteLine($"  the sandboxes had {writes.AvailableCount - availableBefore} of {rest} Available 5 minutes after the gateway was done");
            sandboxesDone = false;
        }
        var fleetRequests = EngineBenchmark.Diff(before, await CountRequestsAsync(sandboxes));
        var leadershipAfter = await WatchersAsync(connectionString, sandboxes);
        var peaks = gateways.Select(g => g.Memory().Peak / 1024.0 / 1024.0).ToArray();
        var sandboxPeaks = sandboxes.Select(s => s.Memory().Peak / 1024.0 / 1024.0).ToArray();
        var (appliedTwice, applies) = await AppliedTwiceAsync(connectionString);
        progress.Begin("done");
        await stopWatching.CancelAsync();
        await Task.WhenAll(watches);
        foreach (var http in https) http.Dispose();

        // Report.
        var perRolloutSteady = steadyRequests.Where(r => !EngineBenchmark.IsShared(r.Key)).Sum(r => r.Value) / (double)steady;
        var perRolloutFleet = fleetRequests.Where(r => !EngineBenchmark.IsShared(r.Key)).Sum(r => r.Value) / (double)rest;
        var relists = steadyRequests.Concat(fleetRequests).Where(r => r.Key.StartsWith("list ", StringComparison.Ordinal)).Sum(r => r.Value);
        Console.WriteLine("  Kubernetes requests, all clusters, paced phase | at once:");
        foreach (var key in steadyRequests.Keys.Union(fleetRequests.Keys).Order(StringComparer.Ordinal))
        {
            Console.WriteLine($"    {key,-40} {steadyRequests.GetValueOrDefault(key),7} {fleetRequests.GetValueOrDefault(key),8}{(EngineBenchmark.IsShared(key) ? "  (shared watch/list)" : "")}");
        }

        var p50 = EngineBenchmark.Percentile(latencies, 0.50);
        var p99 = EngineBenchmark.Percentile(latencies, 0.99);
        var lag = (gatewayDone - sandboxDone).TotalSeconds;
        var spread = Spread(leadershipAfter, gateways, clusters);
        Console.WriteLine($"  {rest} at once: accepted after {accepted.TotalSeconds:F1} s; last sandbox all Available after {sandboxDone.TotalSeconds:F1} s; " +
                          $"gateway all {registries} Available after {gatewayDone.TotalSeconds:F1} s ({gatewayAvailable} rows)");
        Console.WriteLine($"  propagation (paced, {latencies.Count} condition changes): p50 {p50:F1} ms, p99 {p99:F1} ms");
        Console.WriteLine($"  requests per rollout: paced {perRolloutSteady:F2}, at once {perRolloutFleet:F2}; re-lists (list requests) {relists}");
        Console.WriteLine($"  peak RSS per replica: {string.Join(", ", peaks.Select(p => $"{p:F0} MB"))}; watches at the end: {Describe(leadershipAfter, gateways)}");
        Console.WriteLine($"  peak RSS per sandbox (not a target): {string.Join(", ", sandboxPeaks.Select(p => $"{p:F0}"))} MB");
        Console.WriteLine($"  applies: {applies} registry.applied events for {registries} registries; {appliedTwice} registries applied more than once");
        Console.WriteLine($"  load average at the end {ScaleBenchmark.LoadAverage()}");

        var lagPass = gatewayAvailable >= registries && sandboxesDone && lag <= 5;
        var latencyPass = latencies.Count > 0 && p99 < 250;
        var rssPass = peaks.All(p => p < 500);
        var requestsPass = Math.Max(perRolloutSteady, perRolloutFleet) <= 5;
        var summary = new JsonObject
        {
            ["registries"] = registries,
            ["clusters"] = clusters,
            ["replicas"] = Replicas,
            ["sandboxAllAvailableS"] = Math.Round(sandboxDone.TotalSeconds, 1),
            ["gatewayAllAvailableS"] = Math.Round(gatewayDone.TotalSeconds, 1),
            ["gatewayLagS"] = Math.Round(lag, 1),
            ["gatewayLag"] = ScaleBenchmark.Verdict(lagPass),
            ["propagationP50Ms"] = Math.Round(p50, 1),
            ["propagationP99Ms"] = Math.Round(p99, 1),
            ["propagationP99"] = ScaleBenchmark.Verdict(latencyPass),
            ["peakRssMb"] = new JsonArray([.. peaks.Select(p => (JsonNode)Math.Round(p))]),
            ["peakRss"] = ScaleBenchmark.Verdict(rssPass),
            ["requestsPerRollout"] = new JsonArray(Math.Round(perRolloutSteady, 2), Math.Round(perRolloutFleet, 2)),
            ["requestsPerRolloutTarget"] = ScaleBenchmark.Verdict(requestsPass),
            ["relists"] = relists,
            // Not a target: how long after the last replica was ready every cluster was watched and no replica below its share.
            ["watchesSpreadS"] = spreadAtStart ? Math.Round(spreadAfter.TotalSeconds, 1) : null,
            ["clustersPerReplica"] = new JsonArray([.. gateways.Select(g => (JsonNode)leadershipAfter.Values.Count(v => v == g.ReplicaName))]),
            ["leadershipSpread"] = ScaleBenchmark.Verdict(spread),
            ["sandboxPeakRssMb"] = new JsonArray([.. sandboxPeaks.Select(p => (JsonNode)Math.Round(p))]),
            ["appliedEvents"] = applies,
            ["registriesAppliedTwice"] = appliedTwice,
            ["runS"] = Math.Round(progress.Elapsed.TotalSeconds),
        };
        return (lagPass && latencyPass && rssPass && requestsPass && spread, summary);
    }

    /// <summary>
    /// Every apply announces itself (<c>registry.applied</c>, in the apply's own transaction): registries with more than
    /// one were applied twice, which no registry in this run should be (its spec never changes).
    /// </summary>
    private static async Task<(long Twice, long Events)> AppliedTwiceAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            """
            SELECT count(*) FILTER (WHERE n > 1), coalesce(sum(n), 0)::bigint
            FROM (SELECT count(*) AS n FROM gateway.webhook_events WHERE type = 'registry.applied' GROUP BY registry_id) applied
            """, connection);
        await using var reader = await query.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    /// <summary>Every cluster watched, and no replica below its share (floor of clusters / replicas).</summary>
    private static bool Spread(Dictionary<string, string> watchers, List<GatewayProcess> gateways, int clusters) =>
        watchers.Count == clusters && gateways.All(g => watchers.Values.Count(v => v == g.ReplicaName) >= clusters / gateways.Count);

    private static string Describe(Dictionary<string, string> watchers, List<GatewayProcess> gateways) =>
        string.Join("; ", gateways.Select((g, i) => $"replica {i + 1} ({g.ReplicaName}) watches {watchers.Values.Count(v => v == g.ReplicaName)}")) +
        $"; {watchers.Count} clusters watched";

    /// <summary>Waits until every cluster has a watching replica and the watches have spread (or a minute has passed).</summary>
    private static async Task<Dictionary<string, string>> WaitForLeadershipAsync(string connectionString, List<SandboxProcess> sandboxes, List<GatewayProcess> gateways)
    {
        var deadline = Stopwatch.StartNew();
        Dictionary<string, string> watchers;
        while (!Spread(watchers = await WatchersAsync(connectionString, sandboxes), gateways, sandboxes.Count) && deadline.Elapsed < TimeSpan.FromMinutes(1))
        {
            await Task.Delay(500);
        }

        return watchers;
    }

    private static async Task<Dictionary<string, string>> WatchersAsync(string connectionString, List<SandboxProcess> sandboxes)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        return await WatchLeadership.WatchersAsync(connection, sandboxes.Select(s => s.Name), CancellationToken.None);
    }

    /// <summary>The requests of every sandbox, summed by "verb resource".</summary>
    private static async Task<Dictionary<string, long>> CountRequestsAsync(List<SandboxProcess> sandboxes)
    {
        var counts = await Task.WhenAll(sandboxes.Select(s => s.RequestsAsync()));
        return counts.SelectMany(c => c).GroupBy(c => c.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Sum(c => c.Value), StringComparer.Ordinal);
    }

    /// <summary>The benchmark's own watch on one sandbox's QuayRegistries: when each condition change arrived.</summary>
    private static async Task WatchAsync(Kubernetes client, EngineBenchmark.ConditionWrites writes, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await foreach (var (_, item) in client.CustomObjects.WatchListClusterCustomObjectAsync(
                                   "quay.redhat.com", "v1", "quayregistries", timeoutSeconds: 3600, cancellationToken: ct))
                {
                    if (JsonNode.Parse(((JsonElement)item).GetRawText()) is JsonObject registry)
                    {
                        writes.Observe(registry);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is HttpRequestException or IOException or k8s.Autorest.HttpOperationException)
            {
                Console.Error.WriteLine($"  benchmark watch ended ({e.Message}); watching again");
            }
        }
    }

    private static async Task<(Guid Id, string Key)> CreateAsync(HttpClient http, string ns, string cluster)
    {
        using var response = await http.PostAsJsonAsync("/v1/registries", new CreateRegistryRequest("registry", ns, cluster));
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var id = Guid.Parse(response.Headers.Location!.OriginalString.Split('/')[^1]);
        return (id, $"{ns}/registry");
    }
}
