using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace QuayGateway.Registries.Model;

/// <summary>The top level of a Quay <c>config.yaml</c>: what the gateway needs to check before the operator does.</summary>
public sealed class ConfigYaml
{
    private readonly YamlMappingNode _root;

    private ConfigYaml(YamlMappingNode root) => _root = root;

    /// <summary>
    /// How deep mappings and sequences may nest. Quay's settings nest a few levels; building the document recurses
    /// once per level, and a stack overflow cannot be caught, so a nesting bomb is refused before it is built.
    /// </summary>
    public const int MaxDepth = 64;

    public static bool TryParse(string text, out ConfigYaml? config, out string? error)
    {
        config = null;
        error = null;
        try
        {
            if (NestsDeeperThan(text, MaxDepth))
            {
                error = $"config.yaml nests mappings and sequences deeper than {MaxDepth} levels.";
                return false;
            }

            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            {
                error = "config.yaml must be a YAML mapping of Quay settings.";
                return false;
            }

            config = new ConfigYaml(root);
            return true;
        }
        catch (YamlException e)
        {
            error = $"config.yaml is not valid YAML: {e.Message}";
            return false;
        }
    }

    // The parser's events come from a state machine with a stack of its own, not from recursion.
    private static bool NestsDeeperThan(string text, int limit)
    {
        var parser = new Parser(new StringReader(text));
        var depth = 0;
        while (parser.MoveNext())
        {
            switch (parser.Current)
            {
                case YamlDotNet.Core.Events.MappingStart or YamlDotNet.Core.Events.SequenceStart when ++depth > limit:
                    return true;
                case YamlDotNet.Core.Events.MappingEnd or YamlDotNet.Core.Events.SequenceEnd:
                    depth--;
                    break;
            }
        }

        return false;
    }

    /// <summary>A top-level scalar's text, or null.</summary>
    public string? Text(string key) =>
        _root.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode { Value: { Length: > 0 } value } ? value : null;

    /// <summary>The <c>SERVER_HOSTNAME</c> of a bundle's config.yaml, or null (none, or not YAML).</summary>
    public static string? ServerHostname(IReadOnlyDictionary<string, string>? bundle) =>
        bundle?.GetValueOrDefault("config.yaml") is { } text && TryParse(text, out var config, out _) ? config!.Text("SERVER_HOSTNAME") : null;

    public bool Has(string key) => _root.Children.ContainsKey(new YamlScalarNode(key));

    public bool IsTrue(string key) =>
        _root.Children.TryGetValue(new YamlScalarNode(key), out var node)
        && node is YamlScalarNode { Value: { } value }
        && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase));
}
