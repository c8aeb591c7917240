using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Sandbox.Kubernetes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace QuayGateway.Sandbox.Operator;

/// <summary>
/// A registry's config bundle Secret: <c>config.yaml</c> (from base64 <c>data</c> or plain <c>stringData</c>)
/// parsed to its top-level keys, the other files' names, and a hash that changes with any content.
/// </summary>
internal sealed record ConfigBundle(
    IReadOnlyDictionary<string, YamlNode> Config,
    IReadOnlySet<string> Files,
    string ContentHash,
    string? ParseError)
{
    public static ConfigBundle From(JsonObject secret)
    {
        var files = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in secret["data"] as JsonObject ?? [])
        {
            files[key] = Decode(value.Str());
        }

        // A real apiserver folds stringData into data; reading both works whichever way the store keeps it.
        foreach (var (key, value) in secret["stringData"] as JsonObject ?? [])
        {
            files[key] = value.Str() ?? "";
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            string.Join("\n", files.Select(f => $"{f.Key}={f.Value}")))));
        var (config, error) = Parse(files.GetValueOrDefault("config.yaml", ""));
        return new ConfigBundle(config, files.Keys.ToHashSet(StringComparer.Ordinal), hash, error);
    }

    public bool Has(string key) => Config.ContainsKey(key);

    public string? Text(string key) => Config.TryGetValue(key, out var node) && node is YamlScalarNode s ? s.Value : null;

    private static string Decode(string? base64)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(base64 ?? ""));
        }
        catch (FormatException)
        {
            return "";
        }
    }

    private static (IReadOnlyDictionary<string, YamlNode> Config, string? Error) Parse(string yaml)
    {
        var empty = new Dictionary<string, YamlNode>();
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(yaml));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
            {
                return (empty, null);
            }

            if (stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                // Go's yaml.Unmarshal into a map says it this way.
                return (empty, $"yaml: unmarshal errors:\n  line {stream.Documents[0].RootNode.Start.Line}: cannot unmarshal !!{Tag(stream.Documents[0].RootNode)} into map[string]interface {{}}");
            }

            return (root.Children.Where(c => c.Key is YamlScalarNode).ToDictionary(c => ((YamlScalarNode)c.Key).Value ?? "", c => c.Value), null);
        }
        catch (YamlException ex)
        {
            return (empty, $"yaml: line {ex.Start.Line}: {ex.Message}");
        }
    }

    private static string Tag(YamlNode node) => node is YamlSequenceNode ? "seq" : "str";
}
