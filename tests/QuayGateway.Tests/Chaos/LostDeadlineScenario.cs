using QuayGateway.Registries.Model;

namespace QuayGateway.Tests.Chaos;

/// <summary>
/// A replica that accepted creates is killed before it applied any (it runs no jobs, as a replica that died right after
/// its commits would leave them), and the cluster then refuses every apply: no deadline job was ever scheduled, yet
/// each registry reaches Failed at the deadline set when it was accepted, swept by the next replica's resync job.
/// </summary>
public static class LostDeadlineScenario
{
    public const string Name = "lost-deadline";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(8);

    public static async Task<ChaosResult> RunAsync(bool isShort)
    {
        var count = isShort ? 3 : 10;
        var result = new ChaosResult(Name).Figure("registries", count).Seconds("deadline_s", Deadline);
        await using var env = await ChaosEnvironment.StartAsync(TimeSpan.FromMilliseconds(300));
        var accepting = await env.StartReplicaAsync("--Gateway:Jobs:Server=false", $"--Gateway:Rollout:Deadline={Deadline:c}");
        var acceptedAt = new Dictionary<Guid, DateTimeOffset>();
        using (var client = ChaosEnvironment.Client(accepting))
        {
            for (var i = 0; i < count; i++)
            {
                var (id, response) = await ChaosEnvironment.CreateAsync(client, $"lost-{i}");
                response.Dispose();
                acceptedAt[id ?? throw new InvalidOperationException($"create answered {(int)response.StatusCode}")] = DateTimeOffset.UtcNow;
            }
        }

        await accepting.KillAsync();
        // Whatever the next replica tries, the cluster takes no writes.
        env.Sandbox.Faults.ApiErrorVerbs = new HashSet<string> { "create", "update", "patch" };
        env.Sandbox.Faults.ApiErrorRate = 1;

        var next = await env.StartReplicaAsync(ChaosEnvironment.FastResync);
        var nextReady = DateTimeOffset.UtcNow;
        using var survivor = ChaosEnvironment.Client(next);
        var ids = acceptedAt.Keys.ToList();
        var final = await ChaosEnvironment.WaitForStatesAsync(survivor, ids, TimeSpan.FromSeconds(60), RegistryState.Failed);
        env.Sandbox.Faults.Reset();

        var failed = 0;
        var latest = TimeSpan.Zero;
        foreach (var id in ids.Where(id => final.GetValueOrDefault(id) == RegistryState.Failed))
        {
            var failure = (await ChaosEnvironment.TimelineAsync(survivor, id)).Last(e => e is { Type: TimelineEntryType.StateChanged, State: RegistryState.Failed });
            failed += failure.Reason == "DeadlineExceeded" ? 1 : 0;
            // acceptedAt is taken after the 202, so the deadline is at most this; a failure before it is a miss.
            var deadline = acceptedAt[id] + Deadline;
            result.Check(failure.At - deadline > TimeSpan.FromSeconds(-1), $"registry {id} failed {(deadline - failure.At).TotalSeconds:F1} s before its deadline");
            // Nothing could sweep it before the next replica was up; lateness counts from then when that was later.
            var late = failure.At - (deadline > nextReady ? deadline : nextReady);
            latest = late > latest ? late : latest;
        }

        result.Figure("failed_at_deadline", failed).Seconds("max_late_s", latest)
            .Seconds("next_replica_ready_minus_deadline_s", nextReady - acceptedAt.Values.Max() - Deadline)
            .Check(failed == count, $"{count - failed} registries did not fail with DeadlineExceeded: {string.Join(", ", final.Values.Distinct())}");
        result.Detail = env.ReplicaOutput();
        return result;
    }
}
