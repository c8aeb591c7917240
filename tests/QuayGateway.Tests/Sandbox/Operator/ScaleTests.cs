using System.Diagnostics;
using System.Text.Json.Nodes;
using static QuayGateway.Tests.Sandbox.Operator.OperatorHarness;

namespace QuayGateway.Tests.Sandbox.Operator;

public sealed class ScaleTests
{
    [Fact]
    public async Task Many_registries_roll_out_concurrently()
    {
        var count = int.TryParse(Environment.GetEnvironmentVariable("QG_SCALE_REGISTRIES"), out var n) ? n : 200;
        await using var h = new OperatorHarness(phaseDelayMs: 50);
        var available = new HashSet<string>();
        var allAvailable = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var watch = h.Store.Subscribe(e =>
        {
            if (e.Resource == "quayregistries" && Text(Condition(e.Object, "Available")?["status"]) == "True")
            {
                lock (available)
                {
                    if (available.Add(Text(e.Object["metadata"]!["name"])!) && available.Count == count)
                    {
                        allAvailable.SetResult();
                    }
                }
            }
        });
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            h.Store.Create("quayregistries", Ns, new JsonObject
            {
                ["apiVersion"] = "quay.redhat.com/v1",
                ["kind"] = "QuayRegistry",
                ["metadata"] = new JsonObject { ["name"] = $"r{i}" },
            });
        }

        await allAvailable.Task.WaitAsync(TimeSpan.FromSeconds(60));

        var report = $"{count} registries available after {clock.Elapsed.TotalSeconds:F1} s; working set {Environment.WorkingSet / 1024 / 1024} MB";
        Console.WriteLine(report);
        if (Environment.GetEnvironmentVariable("QG_SCALE_REPORT") is { } file)
        {
            await File.WriteAllTextAsync(file, report);
        }

        Assert.Equal(count * 10, h.Store.List("pods", Ns).Count);
    }
}
