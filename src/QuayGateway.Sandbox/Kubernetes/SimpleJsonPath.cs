using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// The JSONPath subset CRD printer columns use: <c>.a.b</c>, <c>.a[0]</c> and <c>.a[?(@.type=="Available")].status</c>.
/// </summary>
internal static partial class SimpleJsonPath
{
    [GeneratedRegex("""^\[\?\(@\.(?<field>[A-Za-z0-9_]+)\s*==\s*["'](?<value>[^"']*)["']\)\]""")]
    private static partial Regex Filter();

    [GeneratedRegex(@"^\[(?<index>\d+)\]")]
    private static partial Regex Index();

    [GeneratedRegex(@"^\.(?<field>[A-Za-z0-9_\-]+)")]
    private static partial Regex Field();

    public static IReadOnlyList<JsonNode> Evaluate(JsonNode root, string path)
    {
        var current = new List<JsonNode> { root };
        var rest = path.Trim().TrimStart('{').TrimEnd('}');
        while (rest.Length > 0)
        {
            Match m;
            if ((m = Field().Match(rest)).Success)
            {
                current = current.Select(n => (n as JsonObject)?[m.Groups["field"].Value]).OfType<JsonNode>().ToList();
            }
            else if ((m = Index().Match(rest)).Success)
            {
                var i = int.Parse(m.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture);
                current = current.Select(n => n is JsonArray a && i < a.Count ? a[i] : null).OfType<JsonNode>().ToList();
            }
            else if ((m = Filter().Match(rest)).Success)
            {
                var (field, value) = (m.Groups["field"].Value, m.Groups["value"].Value);
                current = current.OfType<JsonArray>().SelectMany(a => a).OfType<JsonObject>()
                    .Where(o => o[field] is JsonNode v && (v.Str() ?? v.ToJsonString()) == value).Cast<JsonNode>().ToList();
            }
            else
            {
                throw new ArgumentException($"unsupported JSONPath: {path}", nameof(path));
            }
            rest = rest[m.Length..];
        }
        return current;
    }
}
