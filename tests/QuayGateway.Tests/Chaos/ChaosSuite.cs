namespace QuayGateway.Tests.Chaos;

/// <summary>
/// The chaos scenarios by name. Each starts its own PostgreSQL, sandbox and gateway processes, breaks something for
/// real (kill -9, a database restart, cluster faults, a receiver that is down) and checks what the gateway promises.
/// A scenario's <c>bool</c> argument asks for the CI size: every scenario, small counts.
/// </summary>
public static class ChaosSuite
{
    public static readonly IReadOnlyList<(string Name, Func<bool, Task<ChaosResult>> Run)> Scenarios =
    [
        (KillReplicaScenario.Name, KillReplicaScenario.RunAsync),
        (PostgresRestartScenario.Name, PostgresRestartScenario.RunAsync),
        (SandboxFaultsScenario.Name, SandboxFaultsScenario.RunAsync),
        (WebhookReceiverDownScenario.Name, WebhookReceiverDownScenario.RunAsync),
        (StuckFinalizerScenario.Name, StuckFinalizerScenario.RunAsync),
        (LostDeadlineScenario.Name, LostDeadlineScenario.RunAsync),
        (RecurringJobsScenario.Name, RecurringJobsScenario.RunAsync),
    ];

    /// <summary>Runs one scenario; an exception is a MISS naming it, not a crash of the run.</summary>
    public static async Task<ChaosResult> RunAsync(string name, bool isShort)
    {
        var scenario = Scenarios.SingleOrDefault(s => s.Name == name);
        if (scenario.Run is null)
        {
            throw new ArgumentException($"No chaos scenario '{name}'; there are {string.Join(", ", Scenarios.Select(s => s.Name))}.", nameof(name));
        }

        try
        {
            return await scenario.Run(isShort);
        }
        catch (Exception e)
        {
            var result = new ChaosResult(name).Check(false, $"{e.GetType().Name}: {e.Message.Split('\n')[0]}");
            result.Detail = e.ToString();
            return result;
        }
    }
}
