using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Npgsql;
using QuayGateway.DevServices;
using QuayGateway.Registries.Model;
using QuayGateway.Sandbox;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Benchmarks.Engine;

/// <summary>
/// The provisioning engine against a sandbox cluster, in one run. The sandbox runs in this process (so its writes
/// are timed on the same clock) and the gateway as a separate process that reaches it through a kubeconfig (so the
/// RSS measured is the gateway's alone).
/// <list type="bullet">
/// <item>Propagation latency: from the sandbox committing a condition change of a QuayRegistry to the gateway's
///   timeline entry for it being visible in PostgreSQL (polled every 5 ms, so figures include up to that). Target p99 &lt; 250 ms.</item>
/// <item>Kubernetes requests per rollout, counted by the sandbox, beyond the shared watches. Target ≤ 6.</item>
/// <item>Scale: N registries requested at once, all Available; the gateway finishes within 5 s of the sandbox's own
///   rollout, with gateway RSS &lt; 400 MB.</item>
/// </list>
/// </summary>
public static class EngineBenchmark
{
    private const string AdminKey = "qgw-engine-benchmark-admin-key";

    public static async Task<int> RunAsync(int registries, int steady, TimeSpan phaseDelay, int workers)
    {
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"qg-engine-bench-{Guid.NewGuid():N}.kubeconfig");
        await using var sandbox = await SandboxCluster.StartAsync(new SandboxOptions
        {
            Name = "bench", KubeconfigPath = kubeconfig, PhaseDelay = phaseDelay, WatchHistoryLimit = 200_000,
        });
        var writes = new ConditionWrites();
        using var subscription = sandbox.Store.Subscribe(e =>
        {
            if (e.Resource == "quayregistries")
            {
                writes.Observe(e.Object);
            }
        });
        await using var gateway = await GatewayProcess.StartAsync(postgres.ConnectionString, AdminKey,
            "--Gateway:Clusters:bench:kubeconfig=" + kubeconfig, "--Gateway:DefaultCluster=bench");
        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = workers }) { BaseAddress = new Uri(gateway.Url) };
        http.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        await using var timeline = new TimelinePoller(postgres.ConnectionString);

        Console.WriteLine($"Engine benchmark: sandbox phase delay {phaseDelay.TotalMilliseconds:F0} ms, {steady} paced rollouts, then {registries} at once");

        // 0. Warm-up (JIT, pools, the watches established), not measured.
        for (var i = 0; i < 10; i++)
        {
            await CreateAsync(http, $"warm-up-{i}");
        }

        await WaitAvailableAsync(postgres.ConnectionString, 10, TimeSpan.FromMinutes(2));

        // 1. Steady: rollouts started ten a second, measured for latency and requests per rollout.
        var before = sandbox.Requests.Snapshot();
        var steadyIds = new ConcurrentDictionary<Guid, string>();
        for (var i = 0; i < steady; i++)
        {
            var (id, key) = await CreateAsync(http, $"steady-{i}");
            steadyIds[id] = key;
            await Task.Delay(100);
        }

        await WaitAvailableAsync(postgres.ConnectionString, 10 + steadyIds.Count, TimeSpan.FromMinutes(2));
        await Task.Delay(500); // the last status writes' timeline entries
        var requests = Diff(before, sandbox.Requests.Snapshot());
        var steadyLatencies = writes.Latencies(timeline.Seen, steadyIds);

        // 2. Scale: everything at once.
        var scaleIds = new ConcurrentDictionary<Guid, string>();
        var clock = Stopwatch.StartNew();
        var sandboxAvailableBefore = writes.AvailableCount;
        await Parallel.ForEachAsync(Enumerable.Range(0, registries), new ParallelOptions { MaxDegreeOfParallelism = workers }, async (i, _) =>
        {
            var (id, key) = await CreateAsync(http, $"scale-{i}");
            scaleIds[id] = key;
        });
        var accepted = clock.Elapsed;
        var sandboxDone = TimeSpan.Zero;
        var sandboxWait = Task.Run(async () =>
        {
            while (writes.AvailableCount < sandboxAvailableBefore + registries)
            {
                await Task.Delay(5);
            }

            sandboxDone = clock.Elapsed;
        });
        var gatewayAvailable = await WaitAvailableAsync(postgres.ConnectionString, 10 + steady + registries, TimeSpan.FromMinutes(10));
        var gatewayDone = clock.Elapsed;
        await sandboxWait.WaitAsync(TimeSpan.FromMinutes(1));
        var (rss, peakRss) = gateway.Memory();
        await Task.Delay(500);
        var scaleLatencies = writes.Latencies(timeline.Seen, scaleIds);

        // Report.
        var perRollout = requests.Where(r => !IsShared(r.Key)).Sum(r => r.Value) / (double)steady;
        Console.WriteLine();
        Console.WriteLine("Kubernetes requests during the steady phase (sandbox's count):");
        foreach (var (key, count) in requests)
        {
            Console.WriteLine($"  {key,-40} {count,6}{(IsShared(key) ? "  (shared watch/list)" : "")}");
        }

        Console.WriteLine();
        Report("Propagation latency p50 (steady)", Percentile(steadyLatencies, 0.50), "ms", null);
        Report("Propagation latency p99 (steady)", Percentile(steadyLatencies, 0.99), "ms", 250);
        Report($"Propagation latency p50 ({registries} at once)", Percentile(scaleLatencies, 0.50), "ms", null);
        Report($"Propagation latency p99 ({registries} at once)", Percentile(scaleLatencies, 0.99), "ms", null);
        Console.WriteLine($"  ({steadyLatencies.Count} and {scaleLatencies.Count} condition changes matched)");
        Report("Kubernetes requests per rollout, beyond the shared watches", perRollout, "", 6);
        Console.WriteLine($"{registries} registries: all accepted after {accepted.TotalSeconds:F1} s; sandbox all Available after {sandboxDone.TotalSeconds:F1} s; " +
                          $"gateway all Available after {gatewayDone.TotalSeconds:F1} s ({gatewayAvailable} rows)");
        Report("Gateway finishes after the sandbox by", (gatewayDone - sandboxDone).TotalSeconds, "s", 5);
        Report("Gateway peak RSS", peakRss / 1024.0 / 1024.0, "MB", 400);
        Console.WriteLine($"  (gateway RSS at the end: {rss / 1024.0 / 1024.0:F0} MB)");
        File.Delete(kubeconfig);
        return 0;
    }

    /// <summary>Watches and the watches' own lists are per cluster, not per registry.</summary>
    internal static bool IsShared(string key) => key.StartsWith("watch ", StringComparison.Ordinal)
        || key is "list quayregistries" or "list pods" or "list jobs" or "list horizontalpodautoscalers" or "get discovery";

    private static void Report(string name, double value, string unit, double? target) =>
        Console.WriteLine($"{name}: {value:F1}{(unit.Length > 0 ? " " + unit : "")}" +
                          (target is { } t ? $" (target {(name.Contains("latency", StringComparison.Ordinal) || name.Contains("RSS", StringComparison.Ordinal) ? "<" : "≤")} {t}{(unit.Length > 0 ? " " + unit : "")}) {(value <= t ? "PASS" : "MISS")}" : ""));

    internal static double Percentile(List<double> values, double p)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        values.Sort();
        return values[Math.Min(values.Count - 1, (int)Math.Ceiling(p * values.Count) - 1)];
    }

    internal static Dictionary<string, long> Diff(IReadOnlyDictionary<string, long> before, IReadOnlyDictionary<string, long> after) =>
        after.Select(a => (a.Key, Value: a.Value - before.GetValueOrDefault(a.Key))).Where(a => a.Value > 0)
            .OrderBy(a => a.Key, StringComparer.Ordinal).ToDictionary(a => a.Key, a => a.Value);

    private static async Task<(Guid Id, string Key)> CreateAsync(HttpClient http, string ns)
    {
        using var response = await http.PostAsJsonAsync("/v1/registries", new CreateRegistryRequest("registry", ns));
        if (response.StatusCode != HttpStatusCode.Accepted)
        {
            throw new InvalidOperationException($"POST answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        var id = Guid.Parse(response.Headers.Location!.OriginalString.Split('/')[^1]);
        return (id, $"{ns}/registry");
    }

    internal static async Task<long> WaitAvailableAsync(string connectionString, int count, TimeSpan timeout, TimeSpan? pollInterval = null)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand("SELECT count(*) FROM gateway.registries WHERE state IN ('Available', 'Ready')", connection);
        var deadline = Stopwatch.StartNew();
        long available;
        while ((available = (long)(await query.ExecuteScalarAsync())!) < count && deadline.Elapsed < timeout)
        {
            await Task.Delay(pollInterval ?? TimeSpan.FromMilliseconds(5));
        }

        return available;
    }

    /// <summary>When the sandbox committed each condition change: (registry, type, status, reason) → first time seen.</summary>
    internal sealed class ConditionWrites
    {
        private readonly ConcurrentDictionary<(string Key, string Type, string Status, string Reason), long> _firstWritten = new();
        private readonly ConcurrentDictionary<string, bool> _available = new(StringComparer.Ordinal);

        public int AvailableCount => _available.Count;

        public void Observe(JsonObject registry)
        {
            var now = Stopwatch.GetTimestamp();
            var key = $"{registry["metadata"]?["namespace"]}/{registry["metadata"]?["name"]}";
            foreach (var condition in (registry["status"]?["conditions"] as JsonArray ?? []).OfType<JsonObject>())
            {
                var (type, status) = ((string?)condition["type"] ?? "", (string?)condition["status"] ?? "");
                _firstWritten.TryAdd((key, type, status, (string?)condition["reason"] ?? type), now);
                if (type == "Available" && status == "True")
                {
                    _available.TryAdd(key, true);
                }
            }
        }

        public List<double> Latencies(IReadOnlyDictionary<(Guid Id, string Type, string Status, string Reason), long> seen, ConcurrentDictionary<Guid, string> keys) =>
            seen.Where(s => keys.ContainsKey(s.Key.Id))
                .Select(s => _firstWritten.TryGetValue((keys[s.Key.Id], s.Key.Type, s.Key.Status, s.Key.Reason), out var written)
                    ? Stopwatch.GetElapsedTime(written, s.Value).TotalMilliseconds
                    : double.NaN)
                .Where(l => !double.IsNaN(l))
                .ToList();
    }

    /// <summary>Polls the gateway's timeline table for condition transitions and keeps when each was first visible.</summary>
    internal sealed class TimelinePoller : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<(Guid Id, string Type, string Status, string Reason), long> _seen = new();
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public TimelinePoller(string connectionString) => _loop = Task.Run(() => PollAsync(connectionString, _stop.Token));

        public IReadOnlyDictionary<(Guid Id, string Type, string Status, string Reason), long> Seen => _seen;

        private async Task PollAsync(string connectionString, CancellationToken ct)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(ct);
            var known = new HashSet<long>();
            long low = 0;
            while (!ct.IsCancellationRequested)
            {
                // Ids are taken before commit, so a lower id can become visible later: look back a window.
                await using var query = new NpgsqlCommand(
                    "SELECT id, registry_id, reason, message FROM gateway.registry_events WHERE type = 'ConditionChanged' AND id > $1", connection);
                query.Parameters.AddWithValue(low);
                await using (var reader = await query.ExecuteReaderAsync(ct))
                {
                    var now = Stopwatch.GetTimestamp();
                    while (await reader.ReadAsync(ct))
                    {
                        var id = reader.GetInt64(0);
                        if (!known.Add(id))
                        {
                            continue;
                        }

                        var message = reader.GetString(3);
                        var eq = message.IndexOf('=', StringComparison.Ordinal);
                        var end = message.IndexOf(':', StringComparison.Ordinal);
                        var type = message[..eq];
                        var status = end < 0 ? message[(eq + 1)..] : message[(eq + 1)..end];
                        _seen.TryAdd((reader.GetGuid(1), type, status, reader.IsDBNull(2) ? type : reader.GetString(2)), now);
                    }
                }

                low = Math.Max(0, (known.Count == 0 ? 0 : known.Max()) - 5_000);
                await Task.Delay(5, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }
}
