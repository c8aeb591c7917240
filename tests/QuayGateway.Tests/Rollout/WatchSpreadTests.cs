using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayGateway.DevServices;
using QuayGateway.Sandbox;
using QuayGateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QuayGateway.Tests.Rollout;

/// <summary>
/// Two gateway replicas as real OS processes on one database, over ten sandbox clusters reached through kubeconfigs
/// (the sandboxes run in this test process). The first replica starts alone and watches all ten; when the second
/// starts, the watches spread five and five within a few retry intervals. When one is killed, the other takes its
/// clusters over within 30 s.
/// </summary>
/// <remarks>
/// Ten clusters, because a slow spread only shows with several: a replica whose tries of clusters it could not get
/// filled its share, or whose closed sessions kept their locks (pooled connections), spread four clusters in one to six
/// seconds but ten in five to eleven retry intervals.
/// </remarks>
public sealed class WatchSpreadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "qgw-spread-test-admin-key";
    private static readonly string[] Clusters = [.. Enumerable.Range(0, 10).Select(i => $"spread-{(char)('a' + i)}")];
    private static readonly TimeSpan TakeoverBound = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryInterval = TimeSpan.FromSeconds(3);

    // One refresh to count the newcomer, one keep-alive tick for the first replica to hand the extras over, one retry
    // for the second to take them, and one more of slack for a loaded machine. Measured: about one interval; before
    // the fix (06321b7), 5 to 11.
    private static readonly TimeSpan SpreadBound = 4 * RetryInterval;

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, string> _kubeconfigs =
        Clusters.ToDictionary(c => c, c => Path.Combine(Path.GetTempPath(), $"qg-{c}-{Guid.NewGuid():N}.kubeconfig"));
    private readonly List<SandboxCluster> _sandboxes = [];
    private DevPostgres _postgres = null!;

    public async Task InitializeAsync()
    {
        _postgres = await DevPostgres.StartThrowawayAsync();
        // In parallel; each one kept as it starts, so one that fails to start leaves none of the others running.
        await Task.WhenAll(Clusters.Select(async cluster =>
        {
            var sandbox = await SandboxCluster.StartAsync(new SandboxOptions
            {
                Name = cluster, KubeconfigPath = _kubeconfigs[cluster], GatewayRoleManifest = SandboxCluster.ChartGatewayRoleManifest,
            });
            lock (_sandboxes)
            {
                _sandboxes.Add(sandbox);
            }
        }));
    }

    public async Task DisposeAsync()
    {
        foreach (var sandbox in _sandboxes)
        {
            await sandbox.DisposeAsync();
        }

        await _postgres.DisposeAsync();
        foreach (var path in _kubeconfigs.Values)
        {
            File.Delete(path);
        }
    }

    private Task<GatewayProcess> StartReplicaAsync() => GatewayProcess.StartAsync(_postgres.ConnectionString, AdminKey,
        Clusters.SelectMany(c => new[] { $"--Gateway:Clusters:{c}:kubeconfig={_kubeconfigs[c]}", $"--Gateway:Clusters:{c}:context={c}-gateway" })
            .Concat([$"--Gateway:DefaultCluster={Clusters[0]}", $"--Gateway:Watch:LeaderRetryInterval={RetryInterval:c}",
                "--Gateway:Jobs:WorkerCount=2", "--Logging:LogLevel:QuayGateway=Information"])
            .ToArray());

    [Fact]
    public async Task Watches_spread_over_two_replicas_within_a_few_retry_intervals_and_a_killed_replicas_clusters_move_to_the_survivor_within_30_s()
    {
        var replicas = new List<GatewayProcess>();
        try
        {
            // Alone, the first replica watches every cluster.
            var first = await StartReplicaAsync();
            replicas.Add(first);
            Log("first replica started");
            var alone = await WaitForWatchersAsync(first, w => w.Values.All(r => r == first.ReplicaName), TakeoverBound);
            Assert.All(Clusters, c => Assert.Equal(first.ReplicaName, alone[c]));

            // A second replica joins: the first hands half the clusters over, and both agree who watches what.
            var second = await StartReplicaAsync();
            replicas.Add(second);
            var joinedAt = Stopwatch.StartNew(); // StartAsync returns once /readyz answers
            Log("second replica started");
            var half = Clusters.Length / 2;
            var spread = await WaitForWatchersAsync(second, w => Count(w, first) == half && Count(w, second) == half, TakeoverBound);
            var spreadIn = joinedAt.Elapsed;
            Log($"spread after {spreadIn.TotalSeconds:F1} s: {Describe(spread)}");
            Assert.True(spreadIn <= SpreadBound, $"the watches spread {spreadIn.TotalSeconds:F1} s after the second replica was ready, beyond {SpreadBound.TotalSeconds} s");

            // And it stays spread: nobody takes back what it handed over (several refreshes later, from either side).
            await Task.Delay(2 * RetryInterval);
            Assert.Equal(spread, await WatchersAsync(first));
            Assert.Equal(spread, await WatchersAsync(second));

            // The second replica dies: its two clusters move to the first within the bound.
            await second.KillAsync();
            var killedAt = Stopwatch.StartNew();
            var survivor = await WaitForWatchersAsync(first, w => Count(w, first) == Clusters.Length, TakeoverBound);
            Log($"after the kill ({killedAt.Elapsed.TotalSeconds:F1} s): {Describe(survivor)}");
            Assert.True(killedAt.Elapsed <= TakeoverBound, $"takeover took {killedAt.Elapsed}");
            Assert.Equal(Clusters.Length, Count(survivor, first));
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    private void Log(string step) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {step}");

    private static int Count(Dictionary<string, string?> watchers, GatewayProcess replica) =>
        watchers.Values.Count(r => r == replica.ReplicaName);

    private static string Describe(Dictionary<string, string?> watchers) =>
        string.Join(", ", watchers.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value ?? "none"}"));

    private static async Task<Dictionary<string, string?>> WatchersAsync(GatewayProcess gateway)
    {
        using var client = new HttpClient { BaseAddress = new Uri(gateway.Url) };
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        var clusters = await client.GetFromJsonAsync<JsonArray>("/v1/clusters");
        return clusters!.Where(c => Clusters.Contains((string?)c!["name"]))
            .ToDictionary(c => (string)c!["name"]!, c => (string?)c!["watcher"], StringComparer.Ordinal);
    }

    private static async Task<Dictionary<string, string?>> WaitForWatchersAsync(GatewayProcess gateway,
        Func<Dictionary<string, string?>, bool> expected, TimeSpan timeout)
    {
        var watchers = await GatewayFixture.EventuallyAsync(() => WatchersAsync(gateway), w => w.Count == Clusters.Length && expected(w), timeout);
        Assert.True(watchers.Count == Clusters.Length && expected(watchers), $"watchers: {Describe(watchers)}\n{gateway.Output}");
        return watchers;
    }
}
