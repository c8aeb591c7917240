using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayGateway.Tests.Chaos;

/// <summary>
/// What one scenario measured (its figures, in the order recorded) and the checks it missed; PASS when it
/// missed none. Printed as one JSON line by the benchmarks' <c>chaos</c> command, asserted by the CI tests.
/// </summary>
public sealed class ChaosResult(string scenario)
{
    private readonly List<KeyValuePair<string, JsonNode?>> _figures = [];
    private readonly List<string> _misses = [];

    public string Scenario { get; } = scenario;
    public bool Pass => _misses.Count == 0;
    public IReadOnlyList<string> Misses => _misses;

    /// <summary>Extra text for a failed check (process output), shown by the tests, not printed in the JSON line.</summary>
    public string Detail { get; set; } = "";

    public ChaosResult Figure(string name, JsonNode? value)
    {
        _figures.Add(new(name, value));
        return this;
    }

    public ChaosResult Seconds(string name, TimeSpan value) => Figure(name, Math.Round(value.TotalSeconds, 1));

    /// <summary>Records a check: a miss with <paramref name="what"/> when <paramref name="held"/> is false.</summary>
    public ChaosResult Check(bool held, string what)
    {
        if (!held)
        {
            _misses.Add(what);
        }

        return this;
    }

    public string ToJsonLine()
    {
        var line = new JsonObject { ["scenario"] = Scenario, ["result"] = Pass ? "PASS" : "MISS" };
        foreach (var (name, value) in _figures)
        {
            line[name] = value?.DeepClone();
        }

        if (!Pass)
        {
            line["misses"] = new JsonArray([.. _misses.Select(m => (JsonNode)m)]);
        }

        return line.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    public override string ToString() => ToJsonLine() + (Pass || Detail.Length == 0 ? "" : "\n" + Detail);
}
