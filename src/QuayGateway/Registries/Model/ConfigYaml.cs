using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace QuayGateway.Registries.Model;

/// <summary>The top level of a Quay <c>config.yaml</c>: what the gateway needs to check before the operator does.</summary>
public sealed class ConfigYaml
{
    private readonly YamlMappingNode _root;

    private ConfigYaml(YamlMappingNode root) => _root = root;

    public static bool TryParse(string text, out ConfigYaml? config, out string? error)
    {
        config = null;
        error = null;
        try
        {
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

    public bool Has(string key) => _root.Children.ContainsKey(new YamlScalarNode(key));

    public bool IsTrue(string key) =>
        _root.Children.TryGetValue(new YamlScalarNode(key), out var node)
        && node is YamlScalarNode { Value: { } value }
        && (value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase));
}
