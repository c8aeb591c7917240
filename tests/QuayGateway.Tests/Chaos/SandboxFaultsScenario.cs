using System.Diagnostics;
using QuayGateway.Registries.Model;

namespace QuayGateway.Tests.Chaos;

/// <summary>
/// Rollouts against a cluster that misbehaves the whole time: 5% of its API requests answered 500 or 429 (with
/// Retry-After), its watches dropped every few seconds and some re-watches expired with 410 Gone. All reach Ready.
/// </summary>
public static class SandboxFaultsScenario
{
    public const string Name = "sandbox-faults";

    public static async Task<ChaosResult> RunAsync(bool isShort)
    {
        var count = isShort ? 20 : 200;
        var result = new ChaosResult(Name).Figure("rollouts", count).Figure("api_error_rate", 0.05);
        await using var env = await ChaosEnvironment.StartAsync(TimeSpan.FromMilliseconds(300));
        var gateway = await env.StartReplicaAsync();
        using var client = ChaosEnvironment.Client(gateway);
        var faults = env.Sandbox.Faults;
        faults.ApiErrorRate = 0.05;
        faults.RetryAfterSeconds = 1;
        var (closed, expired) = (0, 0);
        using var stop = new CancellationTokenSource();
        var chaos = Task.Run(async () =>
        {
            for (var tick = 1; !stop.IsCancellationRequested; tick++)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None);
                faults.ApiErrorStatusCode = tick % 2 == 0 ? 429 : 500;
                if (tick % 3 == 0)
                {
                    faults.CloseWatches();
                    closed++;
                }

                if (tick % 7 == 0)
                {
                    faults.ExpireNextWatches(2);
                    faults.CloseWatches();
                    expired += 2;
                }
            }
        });

        var clock = Stopwatch.StartNew();
        var ids = new List<Guid>();
        var rejected = new List<int>();
        foreach (var batch in Enumerable.Range(0, count).Chunk(10))
        {
            foreach (var (id, response) in await Task.WhenAll(batch.Select(i => ChaosEnvironment.CreateAsync(client, $"faults-{i}"))))
            {
                using (response)
                {
                    if (id is { } created)
                    {
                        ids.Add(created);
                    }
                    else
                    {
                        rejected.Add((int)response.StatusCode);
                    }
                }
            }
        }

        var final = await ChaosEnvironment.WaitForStatesAsync(client, ids, TimeSpan.FromSeconds(isShort ? 90 : 300), RegistryState.Ready);
        result.Seconds("all_ready_s", clock.Elapsed);
        await stop.CancelAsync();
        await chaos;
        faults.Reset();

        var ready = final.Values.Count(s => s == RegistryState.Ready);
        result.Figure("accepted", ids.Count).Figure("ready", ready).Figure("failed", final.Values.Count(s => s == RegistryState.Failed))
            .Figure("watches_closed", closed).Figure("watches_expired", expired)
            .Figure("cluster_requests", env.Sandbox.Requests.Total)
            .Check(ids.Count == count, $"{count - ids.Count} creates were refused: {string.Join(",", rejected.Distinct())}")
            .Check(ready == ids.Count, $"{ids.Count - ready} not Ready: {string.Join(", ", final.Values.Where(s => s != RegistryState.Ready).Distinct())}");
        result.Detail = env.ReplicaOutput();
        return result;
    }
}
