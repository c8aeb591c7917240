using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Sandbox;
using QuayGateway.Sandbox.Kubernetes;
using QuayGateway.Sandbox.Operator;
using YamlDotNet.RepresentationModel;

namespace QuayGateway.Tests.Sandbox.Operator;

/// <summary>An object store with the Quay simulation running over it, plus helpers to create and await registries.</summary>
internal sealed class OperatorHarness : IAsyncDisposable
{
    public const string Ns = "quay-enterprise";

    public OperatorHarness(string profile = "current", int phaseDelayMs = 60)
    {
        PhaseDelay = TimeSpan.FromMilliseconds(phaseDelayMs);
        // As a sandbox cluster of that profile does: a 3.6-era cluster has the 3.6 CRD's status fields.
        Store = new ObjectStore(10_000, null, profile == "3.6" ? QuayRegistrySchema.Legacy36 : QuayRegistrySchema.Instance);
        Quay = new QuaySimulation(Store, new QuayOperatorSettings(profile, PhaseDelay, new SandboxOptions().AppsDomain), Log);
        Quay.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        Store.Create("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = Ns } });
    }

    public ObjectStore Store { get; }

    /// <summary>Everything the operator logged at warning level or above; a healthy run logs nothing.</summary>
    public CollectingLogger Log { get; } = new();

    public QuaySimulation Quay { get; }

    public TimeSpan PhaseDelay { get; }

    public JsonObject Create(string yaml)
    {
        var obj = ToJson(yaml);
        var resource = obj["kind"]!.GetValue<string>() switch
        {
            "QuayRegistry" => "quayregistries",
            "Secret" => "secrets",
            var kind => throw new ArgumentException(kind),
        };
        return Store.Create(resource, obj["metadata"]?["namespace"]?.GetValue<string>() ?? Ns, obj);
    }

    public JsonObject CreateBundle(string name, string configYaml, string ns = Ns) => Store.Create("secrets", ns, new JsonObject
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
        ["data"] = new JsonObject { ["config.yaml"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(configYaml)) },
    });

    public JsonObject Registry(string name, string ns = Ns) => Store.Get("quayregistries", ns, name)!;

    public IReadOnlyList<JsonObject> Pods(string registry, string ns = Ns) =>
        Store.List("pods", ns, $"quay-operator/quayregistry={registry}");

    /// <summary>Waits until the registry satisfies <paramref name="condition"/>; fails with its last status otherwise.</summary>
    public async Task<JsonObject> WaitFor(string name, Func<JsonObject, bool> condition, double phases = 12, string ns = Ns)
    {
        var deadline = Stopwatch.StartNew();
        var limit = TimeSpan.FromMilliseconds(Math.Max(3000, PhaseDelay.TotalMilliseconds * phases));
        while (true)
        {
            var registry = Store.Get("quayregistries", ns, name);
            if (registry is not null && condition(registry))
            {
                return registry;
            }

            if (deadline.Elapsed > limit)
            {
                Assert.Fail($"Timed out waiting for {ns}/{name}; last seen:\n{registry?.ToJsonString()}");
            }

            await Task.Delay(10);
        }
    }

    public Task<JsonObject> WaitForAvailable(string name, string ns = Ns) =>
        WaitFor(name, r => Condition(r, "Available")?["status"]?.GetValue<string>() == "True"
            && (r["status"]?["currentVersion"] is not null), ns: ns);

    public static JsonObject? Condition(JsonObject registry, string type) =>
        (registry["status"]?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.GetValue<string>() == type);

    public static string? Text(JsonNode? node) => node?.GetValue<string>();

    public async ValueTask DisposeAsync()
    {
        await Quay.DisposeAsync();
        Assert.True(Log.Entries.Count == 0, string.Join("\n", Log.Entries.Take(2)));
    }

    /// <summary>Reads a Kubernetes manifest written in YAML into JSON, typing scalars as YAML 1.2 core does.</summary>
    public static JsonObject ToJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return (JsonObject)ToNode(stream.Documents[0].RootNode)!;
    }

    private static JsonNode? ToNode(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c =>
            new KeyValuePair<string, JsonNode?>(((YamlScalarNode)c.Key).Value!, ToNode(c.Value)))),
        YamlSequenceNode list => new JsonArray(list.Children.Select(ToNode).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.SingleQuoted or YamlDotNet.Core.ScalarStyle.DoubleQuoted } quoted => JsonValue.Create(quoted.Value),
        YamlScalarNode scalar => scalar.Value switch
        {
            "true" => JsonValue.Create(true),
            "false" => JsonValue.Create(false),
            null or "null" or "~" or "" => null,
            var text when long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
            var text => JsonValue.Create(text),
        },
        _ => null,
    };

    public static string ReferencePath(string relative, [CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Reference", relative);
}

internal sealed class CollectingLogger : Microsoft.Extensions.Logging.ILogger
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _entries = new();

    public IReadOnlyCollection<string> Entries => _entries;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => logLevel >= Microsoft.Extensions.Logging.LogLevel.Warning;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (IsEnabled(logLevel))
        {
            _entries.Enqueue($"{formatter(state, exception)} {exception}");
        }
    }
}
