using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace QuayGateway.Tests.Packaging;

/// <summary>
/// What the tests need from Helm without a Helm binary: YAML as JSON (with YAML 1.2 core-schema scalars, as Helm
/// reads values), Helm's value merge, and templates with their actions blanked out so their shape can be read.
/// </summary>
internal static partial class ChartYaml
{
    public static string ChartDir => Repo.PathOf("chart", "quay-gateway");

    public static JsonNode? ToJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Count == 0 ? null : Convert(stream.Documents[0].RootNode);
    }

    public static IReadOnlyList<JsonNode?> AllDocumentsToJson(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        return stream.Documents.Select(d => Convert(d.RootNode)).ToList();
    }

    /// <summary>Helm's merge of an override file onto values.yaml: maps merge deeply, null removes a key, the rest replaces.</summary>
    public static JsonObject Merge(JsonObject values, JsonObject overrides)
    {
        var result = values.DeepClone().AsObject();
        foreach (var (key, value) in overrides)
        {
            if (value is null)
            {
                result.Remove(key);
            }
            else if (value is JsonObject map && result[key] is JsonObject existing)
            {
                result[key] = Merge(existing, map);
            }
            else
            {
                result[key] = value.DeepClone();
            }
        }

        return result;
    }

    /// <summary>
    /// A template as plain YAML: lines that hold only template actions (if/with/range/end/include … | nindent) go, and
    /// inline actions become a placeholder scalar. Both branches of an if stay, so the templates keep each branch a
    /// self-contained block of keys or list items.
    /// </summary>
    public static string Blank(string template) => QuayGateway.Sandbox.Kubernetes.GatewayRole.BlankTemplate(template, "TEMPLATED");

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c =>
            KeyValuePair.Create(((YamlScalarNode)c.Key).Value!, Convert(c.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => throw new NotSupportedException(node.GetType().Name),
    };

    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var text = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain)
        {
            return JsonValue.Create(text);
        }

        return text switch
        {
            "" or "~" or "null" or "Null" or "NULL" => null,
            "true" or "True" or "TRUE" => JsonValue.Create(true),
            "false" or "False" or "FALSE" => JsonValue.Create(false),
            _ when long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) => JsonValue.Create(i),
            _ when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => JsonValue.Create(d),
            _ => JsonValue.Create(text),
        };
    }
}
