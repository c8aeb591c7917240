using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Chaos;

/// <summary>
/// PostgreSQL stopped and started again under a steady create load: while it is down every answer is a 503
/// <c>service-unavailable</c> problem with <c>Retry-After</c> and <c>/readyz</c> is not ready; every create that got a
/// 202 exists afterwards and rolls out; the same gateway process serves again without a restart.
/// </summary>
public static class PostgresRestartScenario
{
    public const string Name = "postgres-restart";
    private const string ServiceUnavailable = "https://quaygateway.dev/problems/service-unavailable";

    public static async Task<ChaosResult> RunAsync(bool isShort)
    {
        var outage = TimeSpan.FromSeconds(isShort ? 4 : 15);
        var result = new ChaosResult(Name).Seconds("outage_s", outage);
        await using var env = await ChaosEnvironment.StartAsync(TimeSpan.FromMilliseconds(300));
        var gateway = await env.StartReplicaAsync();
        var pid = gateway.Id;
        using var client = ChaosEnvironment.Client(gateway);

        var accepted = new ConcurrentBag<Guid>();
        var answers = new ConcurrentQueue<(DateTime At, int Status, string? Type, bool RetryAfter)>();
        var failures = new ConcurrentQueue<string>();
        using var stopLoad = new CancellationTokenSource();
        var number = 0;
        var load = Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            while (!stopLoad.IsCancellationRequested)
            {
                try
                {
                    var (id, response) = await ChaosEnvironment.CreateAsync(client, $"pg-{Interlocked.Increment(ref number)}");
                    using (response)
                    {
                        if (id is { } created)
                        {
                            accepted.Add(created);
                        }

                        var type = id is null ? (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())?["type"] : null;
                        answers.Enqueue((DateTime.UtcNow, (int)response.StatusCode, type, response.Headers.RetryAfter is not null));
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
                {
                    failures.Enqueue(e.Message);
                }

                await Task.Delay(50);
            }
        })).ToList();

        await Task.Delay(TimeSpan.FromSeconds(isShort ? 2 : 5));
        await env.Postgres.StopAsync();
        var down = DateTime.UtcNow;
        var readiness = new List<int>();
        using (var probe = new HttpClient { BaseAddress = new Uri(gateway.Url), Timeout = TimeSpan.FromSeconds(10) })
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < outage)
            {
                try
                {
                    using var sample = await probe.GetAsync("/readyz");
                    readiness.Add((int)sample.StatusCode);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    readiness.Add(0); // no answer in time: not ready either, but counted apart
                }

                await Task.Delay(250);
            }
        }

        var up = DateTime.UtcNow;
        await env.Postgres.ResumeAsync();
        var resumed = Stopwatch.StartNew();

        // Recovered: a create is accepted again by the same process.
        await Poll.UntilAsync(() => Task.FromResult(answers.Count(a => a.At > up && a.Status == 202)), n => n > 0, TimeSpan.FromSeconds(60),
            TimeSpan.FromMilliseconds(100));
        result.Seconds("recovered_after_s", resumed.Elapsed);
        await stopLoad.CancelAsync();
        await Task.WhenAll(load);

        var during = answers.Where(a => a.At > down && a.At < up).ToList();
        var unavailable = answers.Count(a => a.Status == 503);
        var badAnswers = answers.Count(a => a.Status != 202 && !(a.Status == 503 && a.Type == ServiceUnavailable && a.RetryAfter));
        result.Figure("answers", answers.Count).Figure("accepted", accepted.Count).Figure("answers_503", unavailable)
            .Figure("answers_during_outage", during.Count).Figure("other_answers", badAnswers).Figure("connection_failures", failures.Count)
            .Figure("readyz_samples_down", readiness.Count).Figure("readyz_ready_while_down", readiness.Count(s => s == 200));
        result.Check(during.Any(a => a.Status == 503), "no 503 was answered while PostgreSQL was down")
            .Check(badAnswers == 0, $"{badAnswers} answers were neither 202 nor a 503 service-unavailable problem with Retry-After: "
                                    + string.Join(", ", answers.Where(a => a.Status is not (202 or 503)).Select(a => a.Status).Distinct()))
            .Check(failures.IsEmpty, $"{failures.Count} requests failed without an answer: {failures.FirstOrDefault()}")
            .Check(readiness.Any(s => s == 503) && readiness.All(s => s is 503 or 0), $"/readyz while down: {string.Join(",", readiness.Distinct())}")
            .Check(!gateway.HasExited && gateway.Id == pid, "the gateway process did not survive the outage");

        // Every 202 is in PostgreSQL and rolls out.
        var ids = accepted.ToList();
        var final = await ChaosEnvironment.WaitForStatesAsync(client, ids, TimeSpan.FromSeconds(isShort ? 60 : 180), RegistryState.Ready);
        var lost = ids.Count(id => !final.ContainsKey(id));
        var ready = final.Values.Count(s => s == RegistryState.Ready);
        result.Figure("lost", lost).Figure("ready", ready)
            .Check(lost == 0, $"{lost} registries answered 202 are gone")
            .Check(ready == ids.Count, $"{ids.Count - ready} accepted registries did not reach Ready: {string.Join(", ", final.Values.Where(s => s != RegistryState.Ready).Distinct())}");
        using var readyz = await client.GetAsync("/readyz");
        result.Check(readyz.StatusCode == HttpStatusCode.OK, $"/readyz after the outage: {(int)readyz.StatusCode}");
        result.Detail = env.ReplicaOutput();
        return result;
    }
}
