using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayGateway.DevServices;
using QuayGateway.Sandbox;
using QuayGateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QuayGateway.Tests.Rollout;

/// <summary>
/// Two gateway replicas as real OS processes on one database, over four sandbox clusters reached through kubeconfigs
/// (the sandboxes run in this test process). The first replica starts alone and watches all four; when the second
/// starts, the watches spread two and two. When one is killed, the other takes its clusters over within 30 s.
/// </summary>
public sealed class WatchSpreadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string AdminKey = "qgw-spread-test-admin-key";
    private static readonly string[] Clusters = ["spread-a", "spread-b", "spread-c", "spread-d"];
    private static readonly TimeSpan TakeoverBound = TimeSpan.FromSeconds(30);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Dictionary<string, string> _kubeconfigs =
        Clusters.ToDictionary(c => c, c => Path.Combine(Path.GetTempPath(), $"qg-{c}-{Guid.NewGuid():N}.kubeconfig"));
    private readonly List<SandboxCluster> _sandboxes = [];
    private DevPostgres _postgres = null!;

    public async Task InitializeAsync()
    {
        _postgres = await DevPostgres.StartThrowawayAsync();
        foreach (var cluster in Clusters)
        {
            _sandboxes.Add(await SandboxCluster.StartAsync(new SandboxOptions
            {
                Name = cluster, KubeconfigPath = _kubeconfigs[cluster], GatewayRoleManifest = SandboxCluster.ChartGatewayRoleManifest,
            }));
        }
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
            .Concat([$"--Gateway:DefaultCluster={Clusters[0]}", "--Gateway:Watch:LeaderRetryInterval=00:00:01",
                "--Gateway:Jobs:WorkerCount=2", "--Logging:LogLevel:QuayGateway=Information"])
            .ToArray());

    [Fact]
    public async Task Watches_spread_over_two_replicas_and_a_killed_replicas_clusters_move_to_the_survivor_within_30_s()
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

            // A second replica joins: the first hands two clusters over, and both agree who watches what.
            var second = await StartReplicaAsync();
            replicas.Add(second);
            Log("second replica started");
            var spread = await WaitForWatchersAsync(second, w => Count(w, first) == 2 && Count(w, second) == 2, TakeoverBound);
            Assert.Equal(2, Count(spread, first));
            Assert.Equal(2, Count(spread, second));
            Log($"spread: {Describe(spread)}");

            // And it stays spread: nobody takes back what it handed over (several refreshes later, from either side).
            await Task.Delay(TimeSpan.FromSeconds(4));
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
