using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.RepresentationModel;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>Reads a request body as JSON, or as YAML for apply patches and <c>application/yaml</c>.</summary>
internal static class RequestBody
{
    public static async Task<JsonNode> ReadAsync(HttpRequest request, ResourceType type, CancellationToken ct)
    {
        using var buffer = new MemoryStream();
        await request.Body.CopyToAsync(buffer, ct);
        if (request.ContentType?.StartsWith(ProtobufBody.ContentType, StringComparison.Ordinal) == true)
            return ProtobufBody.Decode(buffer.ToArray(), type);
        var text = System.Text.Encoding.UTF8.GetString(buffer.ToArray());
        if (string.IsNullOrWhiteSpace(text)) throw KubernetesStatusException.BadRequest("the body of the request was empty");
        var contentType = request.ContentType ?? "application/json";
        try
        {
            if (contentType.Contains("yaml", StringComparison.OrdinalIgnoreCase) && !LooksLikeJson(text)) return FromYaml(text);
            return JsonNode.Parse(text) ?? throw KubernetesStatusException.BadRequest("the body of the request was null");
        }
        catch (Exception e) when (e is JsonException or YamlDotNet.Core.YamlException)
        {
            throw KubernetesStatusException.BadRequest($"the body of the request could not be decoded: {e.Message}");
        }
    }

    public static JsonObject RequireObject(JsonNode body) =>
        body as JsonObject ?? throw KubernetesStatusException.BadRequest("the body of the request must be a JSON object");

    private static bool LooksLikeJson(string text) => text.TrimStart().StartsWith('{');

    internal static JsonNode FromYaml(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        if (stream.Documents.Count == 0) throw KubernetesStatusException.BadRequest("the body of the request was empty");
        return Convert(stream.Documents[0].RootNode) ?? new JsonObject();
    }

    /// <summary>Every document of a multi-document YAML text (a rendered manifest), empty ones left out.</summary>
    internal static IReadOnlyList<JsonNode> FromYamlDocuments(string text)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream.Documents.Select(d => Convert(d.RootNode)).OfType<JsonNode>().ToList();
    }

    private static JsonNode? Convert(YamlNode node) => node switch
    {
        YamlMappingNode map => new JsonObject(map.Children.Select(c => KeyValuePair.Create(((YamlScalarNode)c.Key).Value ?? "", Convert(c.Value)))),
        YamlSequenceNode seq => new JsonArray(seq.Children.Select(Convert).ToArray()),
        YamlScalarNode scalar => Scalar(scalar),
        _ => null,
    };

    /// <summary>Plain scalars get YAML 1.2 core-schema types; quoted ones stay strings.</summary>
    private static JsonValue? Scalar(YamlScalarNode scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style is not (YamlDotNet.Core.ScalarStyle.Plain or YamlDotNet.Core.ScalarStyle.Any)) return JsonValue.Create(value);
        if (value is "" or "~" or "null" or "Null" or "NULL") return null;
        if (value is "true" or "True" or "TRUE") return JsonValue.Create(true);
        if (value is "false" or "False" or "FALSE") return JsonValue.Create(false);
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return JsonValue.Create(l);
        if (value.Any(char.IsAsciiDigit) && double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var d)) return JsonValue.Create(d);
        return JsonValue.Create(value);
    }
}
