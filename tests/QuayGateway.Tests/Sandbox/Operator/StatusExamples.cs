using System.Text.Json.Nodes;

namespace QuayGateway.Tests.Sandbox.Operator;

/// <summary>The operator's own e2e expectations (status-examples/*.yaml) and the checks against them.</summary>
internal static class StatusExamples
{
    public static JsonObject Load(string file) =>
        OperatorHarness.ToJson(File.ReadAllText(OperatorHarness.ReferencePath(Path.Combine("status-examples", file))));

    /// <summary>
    /// Every expected condition is present with the given status and, where the example names one, reason; and the
    /// conditions appear in the example's order.
    /// </summary>
    public static void AssertMatches(string file, JsonObject registry)
    {
        var expected = ((JsonArray)Load(file)["status"]!["conditions"]!).OfType<JsonObject>().ToList();
        var actual = ((JsonArray)registry["status"]!["conditions"]!).OfType<JsonObject>().ToList();
        foreach (var want in expected)
        {
            var type = want["type"]!.GetValue<string>();
            var got = actual.SingleOrDefault(c => c["type"]!.GetValue<string>() == type);
            Assert.True(got is not null, $"condition {type} missing");
            Assert.True(want["status"]!.GetValue<string>() == got!["status"]!.GetValue<string>(), $"{type}: {got.ToJsonString()}");
            if (want["reason"] is { } reason)
            {
                Assert.True(reason.GetValue<string>() == got["reason"]!.GetValue<string>(), $"{type}: {got.ToJsonString()}");
            }

            Assert.NotNull(got["message"]);
            Assert.NotNull(got["lastTransitionTime"]);
            Assert.NotNull(got["lastUpdateTime"]);
        }

        var order = expected.Select(c => c["type"]!.GetValue<string>()).ToList();
        Assert.Equal(order, actual.Select(c => c["type"]!.GetValue<string>()).Where(order.Contains));
    }
}
