using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayGateway.Clusters;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Chaos;

/// <summary>
/// kill -9 of the watching replica of two on one database, with every rollout in flight, then its restart: nothing
/// lost, no QuayRegistry twice in the cluster, all Ready, and no state or condition transition recorded twice.
/// </summary>
public static class KillReplicaScenario
{
    public const string Name = "kill-9";

    public static async Task<ChaosResult> RunAsync(bool isShort)
    {
        var count = isShort ? 10 : 100;
        var result = new ChaosResult(Name).Figure("rollouts", count);
        await using var env = await ChaosEnvironment.StartAsync(TimeSpan.FromMilliseconds(500));
        var replicas = await Task.WhenAll(env.StartReplicaAsync(), env.StartReplicaAsync());
        using var first = ChaosEnvironment.Client(replicas[0]);
        var watcher = await Poll.UntilAsync(() => WatcherAsync(first), w => w is not null, TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        var victim = replicas.FirstOrDefault(r => r.ReplicaName == watcher) ?? replicas[0];
        var survivor = replicas.Single(r => r != victim);
        using var survivorClient = ChaosEnvironment.Client(survivor);
        using var victimClient = ChaosEnvironment.Client(victim);

        // Both replicas take requests; every 202 is a rollout that must finish.
        var ids = (await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
        {
            var (id, response) = await ChaosEnvironment.CreateAsync(i % 2 == 0 ? victimClient : survivorClient, $"k9-{i}");
            response.Dispose();
            return id;
        }))).OfType<Guid>().ToList();
        result.Figure("accepted", ids.Count).Check(ids.Count == count, $"only {ids.Count} of {count} creates were accepted");

        // Kill once some rollouts are under way in the cluster and most are not finished.
        // Kill when a quarter are progressing in the cluster: the rest still have applies queued or running.
        var atKill = await Poll.UntilAsync(async () => (await ChaosEnvironment.RegistriesAsync(survivorClient)).Select(r => r.State).ToList(),
            s => s.Count(x => x is RegistryState.Progressing or RegistryState.Available or RegistryState.Ready) >= count / 4,
            TimeSpan.FromSeconds(60), TimeSpan.FromMilliseconds(200));
        var killed = Stopwatch.StartNew();
        await victim.KillAsync();
        var unfinished = atKill.Count(s => s != RegistryState.Ready);
        result.Figure("unfinished_at_kill", unfinished).Check(unfinished > 0, "every rollout had finished before the kill");
        var restarted = env.StartReplicaAsync();

        var takeover = await Poll.UntilAsync(() => WatcherAsync(survivorClient), w => w == survivor.ReplicaName, TimeSpan.FromSeconds(30),
            TimeSpan.FromMilliseconds(200), typeof(HttpRequestException));
        result.Seconds("takeover_s", killed.Elapsed).Check(takeover == survivor.ReplicaName, $"the survivor did not take over the watch (watcher '{takeover}')");
        await restarted;

        var final = await ChaosEnvironment.WaitForStatesAsync(survivorClient, ids, TimeSpan.FromSeconds(isShort ? 90 : 240), RegistryState.Ready);
        result.Seconds("all_ready_after_kill_s", killed.Elapsed);
        var lost = ids.Count(id => !final.ContainsKey(id));
        var ready = final.Values.Count(s => s == RegistryState.Ready);
        result.Figure("lost", lost).Check(lost == 0, $"{lost} accepted registries are gone")
            .Figure("ready", ready).Check(ready == ids.Count, $"{ids.Count - ready} not Ready: {string.Join(", ", final.Values.Where(s => s != RegistryState.Ready).Distinct())}");

        // One QuayRegistry per accepted request in the cluster, none for anything else.
        var live = env.Sandbox.Store.List("quayregistries", null)
            .Select(r => (string?)r["metadata"]?["annotations"]?[ClusterClient.RegistryIdAnnotation]).ToList();
        var duplicates = live.GroupBy(a => a).Sum(g => g.Count() - 1) + live.Count(a => a is null || !ids.Contains(Guid.Parse(a)));
        result.Figure("quayregistries", live.Count).Figure("duplicates", duplicates).Check(duplicates == 0, $"{duplicates} duplicate or foreign QuayRegistries");

        var repeated = 0;
        foreach (var id in ids)
        {
            repeated += RepeatedTransitions(await ChaosEnvironment.TimelineAsync(survivorClient, id));
        }

        result.Figure("repeated_transitions", repeated).Check(repeated == 0, $"{repeated} transitions recorded twice");
        result.Detail = env.ReplicaOutput();
        return result;
    }

    /// <summary>State changes to the state it was already in, and condition changes repeating the one before for their type.</summary>
    public static int RepeatedTransitions(IReadOnlyList<QuayGateway.Registries.Api.TimelineEntry> timeline)
    {
        var states = timeline.Where(e => e.Type == TimelineEntryType.StateChanged).Select(e => e.State).ToList();
        var repeated = states.Zip(states.Skip(1)).Count(p => p.First == p.Second);
        foreach (var perType in timeline.Where(e => e is { Type: TimelineEntryType.ConditionChanged, Message: not null })
                     .GroupBy(e => e.Message!.Split('=')[0]))
        {
            var messages = perType.Select(e => e.Message).ToList();
            repeated += messages.Zip(messages.Skip(1)).Count(p => p.First == p.Second);
        }

        return repeated;
    }

    private static async Task<string?> WatcherAsync(HttpClient client)
    {
        var clusters = await client.GetFromJsonAsync<JsonArray>("/v1/clusters");
        return (string?)clusters!.SingleOrDefault(c => (string?)c!["name"] == ChaosEnvironment.Cluster)?["watcher"];
    }
}
