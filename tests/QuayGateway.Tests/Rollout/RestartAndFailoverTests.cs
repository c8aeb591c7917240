using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayGateway.Clusters;
using QuayGateway.DevServices;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Sandbox;
using QuayGateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QuayGateway.Tests.Rollout;

/// <summary>
/// Two gateway replicas as real OS processes on one database, against a sandbox cluster they reach through a
/// kubeconfig (the sandbox runs in this test process, so it outlives them). The watching replica is killed in the
/// middle of rollouts: the other takes over the watch, the killed one is started again, and every rollout finishes
/// exactly once. Processes rather than hosts, because Hangfire keeps its storage in a static.
/// </summary>
public sealed class RestartAndFailoverTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private const string AdminKey = "qgw-restart-test-admin-key";
    private const string Cluster = "restart";
    private static readonly TimeSpan TakeoverBound = TimeSpan.FromSeconds(30);

    private readonly string _kubeconfig = Path.Combine(Path.GetTempPath(), $"qg-restart-{Guid.NewGuid():N}.kubeconfig");
    private DevPostgres _postgres = null!;
    private SandboxCluster _sandbox = null!;

    public async Task InitializeAsync()
    {
        _postgres = await DevPostgres.StartThrowawayAsync();
        _sandbox = await SandboxCluster.StartAsync(new SandboxOptions
        {
            Name = Cluster, KubeconfigPath = _kubeconfig, PhaseDelay = TimeSpan.FromMilliseconds(700),
            GatewayRoleManifest = SandboxCluster.ChartGatewayRoleManifest,
        });
    }

    public async Task DisposeAsync()
    {
        await _sandbox.DisposeAsync();
        await _postgres.DisposeAsync();
        File.Delete(_kubeconfig);
    }

    private Task<GatewayProcess> StartReplicaAsync() => GatewayProcess.StartAsync(_postgres.ConnectionString, AdminKey,
        $"--Gateway:Clusters:{Cluster}:kubeconfig={_kubeconfig}",
        // As the service account bound to the chart's ClusterRole, as in a real cluster.
        $"--Gateway:Clusters:{Cluster}:context={_sandbox.GatewayContext}",
        $"--Gateway:DefaultCluster={Cluster}",
        "--Gateway:Watch:LeaderRetryInterval=00:00:01",
        // A killed replica's running jobs are run again by another after this long (1 min in production).
        "--Gateway:Jobs:InvisibilityTimeout=00:00:03",
        "--Gateway:Jobs:WorkerCount=4",
        "--Logging:LogLevel:QuayGateway=Information");

    [Fact]
    public async Task Killing_the_watching_replica_mid_rollout_loses_and_duplicates_nothing_and_the_other_takes_over_the_watch()
    {
        var started = await Task.WhenAll(StartReplicaAsync(), StartReplicaAsync());
        var replicas = started.ToList();
        Task<GatewayProcess>? restarting = null;
        try
        {
            // Exactly one replica watches: both agree who, and the cluster saw one watch of QuayRegistries.
            Log("replicas started");
            var leader = await WaitForWatcherAsync(replicas[0], r => replicas.Any(p => p.ReplicaName == r), TimeSpan.FromSeconds(30));
            Assert.Equal(leader, await WatcherAsync(replicas[1]));
            var watching = replicas.Single(p => p.ReplicaName == leader);
            var other = replicas.Single(p => p != watching);
            Assert.Equal(1, _sandbox.Requests.Count("watch", "quayregistries"));

            // Rollouts in several stages when the watching replica dies: some already progressing, some just accepted.
            using var client = Client(watching);
            var ids = new List<Guid>();
            ids.AddRange(await CreateAsync(client, "early", 4));
            await Eventually(() => StatesAsync(client), s => s.Values.Any(v => v == RegistryState.Progressing), TimeSpan.FromSeconds(30));
            ids.AddRange(await CreateAsync(client, "late", 4));
            Log("rollouts in flight; killing the watcher");
            await watching.KillAsync();
            var killedAt = Stopwatch.StartNew();
            // The killed replica starts again at once (as its pod would be restarted); it comes back as a follower.
            restarting = StartReplicaAsync();

            using var survivorClient = Client(other);
            var atKill = await StatesAsync(survivorClient);
            Assert.Contains(atKill.Values, s => s is not (RegistryState.Available or RegistryState.Ready)); // really mid-rollout

            // The survivor takes over the watch within the issue's bound.
            await WaitForWatcherAsync(other, r => r == other.ReplicaName, TakeoverBound);
            Assert.True(killedAt.Elapsed <= TakeoverBound, $"takeover took {killedAt.Elapsed}");

            Log("takeover done");
            // With the killed replica back, every rollout finishes.
            var restarted = await restarting;
            replicas.Add(restarted);
            var final = await Eventually(() => StatesAsync(survivorClient), s => s.Count == ids.Count && s.Values.All(v => v == RegistryState.Ready),
                TimeSpan.FromSeconds(60));
            Assert.True(final.Values.All(v => v == RegistryState.Ready),
                $"not all Ready: {string.Join(", ", final.Select(p => $"{p.Key}={p.Value}"))}\n--- survivor:\n{other.Output}\n--- restarted:\n{restarted.Output}");
            Log("all Ready");
            Assert.Equal(ids.Order(), final.Keys.Order());
            Assert.Equal(other.ReplicaName, await WatcherAsync(restarted)); // still exactly one watcher

            // None duplicated: one QuayRegistry per request, rolled out once: generation 1 is the gateway's apply and 2 the
            // operator writing its defaults back; an apply that fought the operator or a second rollout would raise it.
            var live = _sandbox.Store.List("quayregistries", null);
            Assert.Equal(ids.Count, live.Count);
            Assert.Equal(ids.Order(), live.Select(r => Guid.Parse((string)r["metadata"]!["annotations"]![ClusterClient.RegistryIdAnnotation]!)).Order());
            Assert.All(live, r => Assert.Equal(2, (long)r["metadata"]!["generation"]!));

            // And no duplicate transitions in any timeline.
            foreach (var id in ids)
            {
                var timeline = (await survivorClient.GetFromJsonAsync<TimelinePage>($"/v1/registries/{id}/events", TestJson.Options))?.Items;
                var states = timeline!.Where(e => e.Type == TimelineEntryType.StateChanged).Select(e => e.State).ToList();
                Assert.Equal([RegistryState.Accepted, RegistryState.Applying, RegistryState.Progressing], states.Take(3));
                Assert.True(states.Count(s => s == RegistryState.Available) == 1,
                    $"Available recorded {states.Count(s => s == RegistryState.Available)} times in {id}'s timeline:\n"
                    + string.Join("\n", timeline!.Select(e => $"{e.At:HH:mm:ss.fff} {e.Type} {e.State} {e.Reason}: {e.Message}")));
                Assert.Equal(RegistryState.Ready, Assert.Single(states, s => s == RegistryState.Ready));
                Assert.DoesNotContain(states.Zip(states.Skip(1)), pair => pair.First == pair.Second);
                // A condition transition is recorded once: per condition type ("Available=True: ..."), no entry repeats the one before.
                foreach (var perType in timeline!.Where(e => e.Type == TimelineEntryType.ConditionChanged).GroupBy(e => e.Message![..e.Message!.IndexOf('=')]))
                {
                    var messages = perType.Select(e => e.Message).ToList();
                    Assert.DoesNotContain(messages.Zip(messages.Skip(1)), pair => pair.First == pair.Second);
                }
            }
        }
        finally
        {
            if (restarting is not null)
            {
                try
                {
                    var late = await restarting; // never leave a process behind, even when the test failed before
                    if (!replicas.Contains(late))
                    {
                        replicas.Add(late);
                    }
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException)
                {
                    // it never became ready; it killed itself
                }
            }

            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    private void Log(string step) => output.WriteLine($"{_clock.Elapsed.TotalSeconds,6:F1} s  {step}");

    private static HttpClient Client(GatewayProcess gateway)
    {
        var client = new HttpClient { BaseAddress = new Uri(gateway.Url) };
        client.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
        return client;
    }

    private static async Task<List<Guid>> CreateAsync(HttpClient client, string prefix, int count)
    {
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            // Half carry a config bundle: its Secret is applied by whichever replica runs the job, with the shared key ring.
            var bundle = i % 2 == 0 ? new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\n" } : null;
            using var response = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("example-registry", $"{prefix}-{i}", ConfigBundle: bundle));
            Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
            ids.Add((await response.ReadAsync<RegistryResponse>()).Id);
        }

        return ids;
    }

    private static async Task<Dictionary<Guid, RegistryState>> StatesAsync(HttpClient client)
    {
        var page = await client.GetFromJsonAsync<RegistryPage>("/v1/registries?limit=100", TestJson.Options);
        return page!.Items.ToDictionary(r => r.Id, r => r.State);
    }

    private static async Task<string?> WatcherAsync(GatewayProcess gateway)
    {
        using var client = Client(gateway);
        var clusters = await client.GetFromJsonAsync<JsonArray>("/v1/clusters");
        return (string?)clusters!.Single(c => (string?)c!["name"] == Cluster)!["watcher"];
    }

    private static async Task<string> WaitForWatcherAsync(GatewayProcess gateway, Func<string, bool> expected, TimeSpan timeout)
    {
        var watcher = await Eventually(() => WatcherAsync(gateway), w => w is not null && expected(w), timeout);
        Assert.True(watcher is not null && expected(watcher), $"watcher is '{watcher}'\n{gateway.Output}");
        return watcher!;
    }

    private static Task<T> Eventually<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout) =>
        GatewayFixture.EventuallyAsync(probe, done, timeout);
}
