using System.Globalization;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>RFC 6902 JSON patch (<c>application/json-patch+json</c>): add, remove, replace, move, copy, test.</summary>
internal static class JsonPatch
{
    public static JsonObject Apply(JsonObject target, JsonNode patch)
    {
        if (patch is not JsonArray operations) throw KubernetesStatusException.BadRequest("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
        var document = (JsonObject)target.DeepClone();
        foreach (var op in operations.OfType<JsonObject>())
        {
            var path = op["path"].Str() ?? throw Invalid("missing path");
            switch (op["op"].Str())
            {
                case "add": Add(document, path, op["value"]); break;
                case "remove": Remove(document, path); break;
                case "replace":
                    Remove(document, path);
                    Add(document, path, op["value"]);
                    break;
                case "move":
                    var moved = Get(document, op["from"].Str() ?? throw Invalid("missing from"));
                    Remove(document, op["from"].Str()!);
                    Add(document, path, moved);
                    break;
                case "copy": Add(document, path, Get(document, op["from"].Str() ?? throw Invalid("missing from"))); break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(document, path), op["value"])) throw Invalid($"testing value {path} failed");
                    break;
                default: throw Invalid($"Unexpected kind: {op["op"].Str()}");
            }
        }
        return document;
    }

    private static JsonNode? Get(JsonObject document, string path)
    {
        var (parent, key) = Locate(document, path);
        return parent switch
        {
            JsonObject o when o.TryGetPropertyValue(key, out var v) => v?.DeepClone(),
            JsonArray a when int.TryParse(key, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i]?.DeepClone(),
            _ => throw Invalid($"doc is missing path: \"{path}\""),
        };
    }

    private static void Add(JsonObject document, string path, JsonNode? value)
    {
        var (parent, key) = Locate(document, path);
        var copy = value?.DeepClone();
        switch (parent)
        {
            case JsonObject o: o[key] = copy; break;
            case JsonArray a when key == "-": a.Add(copy); break;
            case JsonArray a when int.TryParse(key, CultureInfo.InvariantCulture, out var i) && i <= a.Count: a.Insert(i, copy); break;
            default: throw Invalid($"doc is missing path: \"{path}\"");
        }
    }

    private static void Remove(JsonObject document, string path)
    {
        var (parent, key) = Locate(document, path);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(key): o.Remove(key); break;
            case JsonArray a when int.TryParse(key, CultureInfo.InvariantCulture, out var i) && i < a.Count: a.RemoveAt(i); break;
            default: throw Invalid($"Unable to remove nonexistent key: {key}: missing value");
        }
    }

    private static (JsonNode? Parent, string Key) Locate(JsonObject document, string path)
    {
        if (!path.StartsWith('/')) throw Invalid($"invalid path \"{path}\"");
        var tokens = path[1..].Split('/').Select(t => t.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)).ToArray();
        JsonNode? node = document;
        foreach (var token in tokens[..^1])
        {
            node = node switch
            {
                JsonObject o => o[token],
                JsonArray a when int.TryParse(token, CultureInfo.InvariantCulture, out var i) && i < a.Count => a[i],
                _ => null,
            };
            if (node is null) throw Invalid($"doc is missing path: \"{path}\"");
        }
        return (node, tokens[^1]);
    }

    private static KubernetesStatusException Invalid(string why) =>
        new(422, "Invalid", $"the server rejected our request due to an error in our request: {why}", new StatusDetails());
}
