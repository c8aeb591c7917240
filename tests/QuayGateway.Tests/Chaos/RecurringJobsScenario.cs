using System.Reflection;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Chaos;

/// <summary>
/// Every recurring job the gateway defines (each job class's <c>RecurringId</c>) is registered in Hangfire's storage
/// and scheduled, even when a replica was killed -9 straight after it started (possibly while registering them) and
/// two more start at once.
/// </summary>
public static class RecurringJobsScenario
{
    public const string Name = "recurring-jobs";

    /// <summary>The ids the gateway's job classes declare, found by reflection so a new job is checked without editing this.</summary>
    public static IReadOnlyList<string> Defined() =>
    [
        .. typeof(ResyncJob).Assembly.GetTypes()
            .Select(t => t.GetField("RecurringId", BindingFlags.Public | BindingFlags.Static))
            .Where(f => f is { IsLiteral: true } && f.FieldType == typeof(string))
            .Select(f => (string)f!.GetRawConstantValue()!)
            .Order(StringComparer.Ordinal),
    ];

    public static async Task<ChaosResult> RunAsync(bool isShort)
    {
        var defined = Defined();
        var result = new ChaosResult(Name).Figure("defined", string.Join(",", defined));
        await using var env = await ChaosEnvironment.StartAsync(TimeSpan.FromMilliseconds(300));
        var first = await env.StartReplicaAsync(ChaosEnvironment.FastResync);
        await first.KillAsync();
        await Task.WhenAll(env.StartReplicaAsync(ChaosEnvironment.FastResync), env.StartReplicaAsync(ChaosEnvironment.FastResync));

        // Hangfire.PostgreSql keeps recurring job ids in the set "recurring-jobs" and each job in the hash "recurring-job:{id}".
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var registered = await Poll.UntilAsync(() => env.QueryAsync(
                """
                SELECT s.value, n.value, l.value FROM hangfire.set s
                LEFT JOIN hangfire.hash n ON n.key = 'recurring-job:' || s.value AND n.field = 'NextExecution'
                LEFT JOIN hangfire.hash l ON l.key = 'recurring-job:' || s.value AND l.field = 'LastExecution'
                WHERE s.key = 'recurring-jobs' ORDER BY s.value
                """, r => (Id: r.GetString(0), Next: r.IsDBNull(1) ? null : r.GetString(1), Last: r.IsDBNull(2) ? null : r.GetString(2))),
            rows => defined.All(d => rows.Any(r => r.Id == d && r.Next is not null))
                    && rows.Any(r => r.Id == ResyncJob.RecurringId && r.Last is not null),
            TimeSpan.FromSeconds(isShort ? 90 : 120), TimeSpan.FromMilliseconds(500));
        var missing = defined.Where(d => !registered.Any(r => r.Id == d && r.Next is not null)).ToList();
        result.Figure("registered", string.Join(",", registered.Select(r => r.Id))).Seconds("registered_after_s", clock.Elapsed)
            .Check(defined.Count > 0, "no recurring job definitions found")
            .Check(missing.Count == 0, $"not registered or not scheduled: {string.Join(", ", missing)}")
            .Check(registered.Any(r => r.Id == ResyncJob.RecurringId && r.Last is not null), "the resync job never ran");
        result.Detail = env.ReplicaOutput();
        return result;
    }
}
