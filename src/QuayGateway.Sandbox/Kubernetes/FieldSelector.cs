using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>A <c>fieldSelector</c> (<c>metadata.name=x,status.phase!=Running</c>) over the fields the apiserver indexes.</summary>
internal static class FieldSelector
{
    private static readonly Dictionary<string, string[]> Supported = new(StringComparer.Ordinal)
    {
        ["metadata.name"] = ["metadata", "name"],
        ["metadata.namespace"] = ["metadata", "namespace"],
        ["status.phase"] = ["status", "phase"],
        ["spec.nodeName"] = ["spec", "nodeName"],
        ["type"] = ["type"],
    };

    public static Func<JsonObject, bool>? Parse(string? text, ResourceType type)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var tests = new List<Func<JsonObject, bool>>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var negate = part.Contains("!=", StringComparison.Ordinal);
            var pieces = part.Split(negate ? "!=" : part.Contains("==", StringComparison.Ordinal) ? "==" : "=", 2);
            if (pieces.Length != 2) throw KubernetesStatusException.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
            var (field, value) = (pieces[0].Trim(), pieces[1].Trim());
            if (!Supported.TryGetValue(field, out var path) || (type.Group.Length > 0 && !field.StartsWith("metadata.", StringComparison.Ordinal)))
                throw KubernetesStatusException.BadRequest($"field label not supported: {field}");
            tests.Add(obj =>
            {
                JsonNode? node = obj;
                foreach (var segment in path) node = node?[segment];
                return (node.Str() == value) != negate;
            });
        }
        return obj => tests.All(t => t(obj));
    }
}
