using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace QuayGateway.Tests.Infrastructure;

/// <summary>
/// Checks one answer against the OpenAPI document: its status is documented for the operation, its media type is one
/// the status documents, its body matches that media type's schema (JSON Schema 2020-12 via JsonSchema.Net, with the
/// document's OpenAPI 3.0 dialect translated: <c>nullable</c>, integer formats), and its documented required headers
/// are present. Returns the violations, empty when the answer is what the document promises.
/// </summary>
public static class OpenApiValidator
{
    private static readonly ConditionalWeakTable<JsonNode, ConcurrentDictionary<string, JsonSchema>> Schemas = new();
    private static readonly EvaluationOptions Evaluation = new() { OutputFormat = OutputFormat.List, RequireFormatValidation = true };

    // Formats JsonSchema.Net checks; the numeric ones become bounds below, any other is an annotation only.
    private static readonly HashSet<string> CheckedFormats = ["date-time", "date", "uuid", "uri", "email"];

    public static IReadOnlyList<string> Check(JsonNode document, string pathTemplate, string method, int status,
        string? contentType, string? body, IReadOnlyDictionary<string, string>? headers = null)
    {
        var where = $"{method.ToUpperInvariant()} {pathTemplate} {status}";
        var operation = document["paths"]?[pathTemplate]?[method.ToLowerInvariant()];
        if (operation is null)
        {
            return [$"{method.ToUpperInvariant()} {pathTemplate} is not in the document"];
        }

        var responses = operation["responses"]?.AsObject();
        var response = responses?[status.ToString(System.Globalization.CultureInfo.InvariantCulture)]
                       ?? responses?[$"{status / 100}XX"] ?? responses?["default"];
        if (response is null)
        {
            return [$"{where}: the status is not documented (documented: {string.Join(", ", responses?.Select(r => r.Key) ?? [])})"];
        }

        var violations = new List<string>();
        CheckHeaders(document, response, headers, where, violations);
        var content = response["content"]?.AsObject();
        var mediaType = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (content is null || content.Count == 0)
        {
            if (!string.IsNullOrEmpty(body))
            {
                violations.Add($"{where}: documents no body but the answer has one ({mediaType})");
            }

            return violations;
        }

        if (mediaType is null)
        {
            violations.Add($"{where}: the answer has no Content-Type (documented: {string.Join(", ", content.Select(c => c.Key))})");
            return violations;
        }

        var media = content.FirstOrDefault(c => string.Equals(c.Key, mediaType, StringComparison.OrdinalIgnoreCase)).Value;
        if (media is null)
        {
            violations.Add($"{where}: Content-Type {mediaType} is not documented (documented: {string.Join(", ", content.Select(c => c.Key))})");
            return violations;
        }

        if (media["schema"] is not { } schemaNode || !IsJson(mediaType))
        {
            return violations;
        }

        JsonElement instance;
        try
        {
            instance = JsonDocument.Parse(body ?? "").RootElement;
        }
        catch (JsonException e)
        {
            violations.Add($"{where}: the body is not JSON: {e.Message}");
            return violations;
        }

        var schema = Schemas.GetOrCreateValue(document).GetOrAdd($"{pathTemplate} {method} {status} {mediaType}", _ => Build(document, schemaNode));
        var result = schema.Evaluate(instance, Evaluation);
        if (!result.IsValid)
        {
            violations.AddRange((result.Details ?? [result]).Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{where}: body{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"))
                .Distinct());
            if (violations.Count == 0)
            {
                violations.Add($"{where}: the body does not match the schema");
            }
        }

        return violations;
    }

    private static void CheckHeaders(JsonNode document, JsonNode response, IReadOnlyDictionary<string, string>? headers,
        string where, List<string> violations)
    {
        foreach (var (name, declared) in response["headers"]?.AsObject() ?? [])
        {
            var header = Resolve(document, declared);
            var value = headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
            if (value is null)
            {
                if ((bool?)header?["required"] == true)
                {
                    violations.Add($"{where}: the required header {name} is missing");
                }

                continue;
            }

            if (header?["schema"] is { } schemaNode)
            {
                // A header is text; a string schema takes it as it is, any other as the JSON it spells.
                var instance = (string?)Resolve(document, schemaNode)?["type"] is "string" or null
                    ? JsonSerializer.SerializeToElement(value)
                    : TryParse(value) ?? JsonSerializer.SerializeToElement(value);
                var schema = Schemas.GetOrCreateValue(document).GetOrAdd($"{where} header {name}", _ => Build(document, schemaNode));
                if (!schema.Evaluate(instance, Evaluation).IsValid)
                {
                    violations.Add($"{where}: header {name}: '{value}' does not match its schema");
                }
            }
        }
    }

    private static JsonElement? TryParse(string value)
    {
        try
        {
            return JsonDocument.Parse(value).RootElement;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool IsJson(string mediaType) => mediaType == "application/json" || mediaType.EndsWith("+json", StringComparison.Ordinal);

    private static JsonNode? Resolve(JsonNode document, JsonNode? node)
    {
        for (var hops = 0; hops < 10 && node?["$ref"] is { } reference; hops++)
        {
            node = document;
            foreach (var segment in ((string)reference!).TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                node = node?[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)];
            }
        }

        return node;
    }

    /// <summary>The schema as a 2020-12 document whose <c>$defs</c> are the document's component schemas.</summary>
    private static JsonSchema Build(JsonNode document, JsonNode schemaNode)
    {
        var openApi31 = ((string?)document["openapi"])?.StartsWith("3.1", StringComparison.Ordinal) == true;
        var root = Translate(schemaNode, openApi31) as JsonObject ?? new JsonObject();
        root["$schema"] = "https://json-schema.org/draft/2020-12/schema";
        var defs = new JsonObject();
        foreach (var (name, component) in document["components"]?["schemas"]?.AsObject() ?? [])
        {
            defs[name] = Translate(component, openApi31);
        }

        root["$defs"] = defs;
        var element = JsonSerializer.SerializeToElement(root);
        return JsonSchema.Build(element, BuildOptions.Default, new Uri($"https://openapi.quaygateway.test/{Guid.NewGuid():N}"));
    }

    private static JsonNode? Translate(JsonNode? node, bool openApi31)
    {
        switch (node)
        {
            case JsonArray array:
                return new JsonArray(array.Select(item => Translate(item, openApi31)).ToArray());
            case JsonObject source:
            {
                var target = new JsonObject();
                foreach (var (key, value) in source)
                {
                    switch (key)
                    {
                        case "$ref" when (string?)value is { } reference && reference.StartsWith("#/components/schemas/", StringComparison.Ordinal):
                            target[key] = "#/$defs/" + reference["#/components/schemas/".Length..];
                            break;
                        case "nullable" or "example" or "discriminator" or "xml" or "externalDocs":
                            break;
                        case "format" when (string?)value is { } format && !CheckedFormats.Contains(format):
                            AddBounds(target, format);
                            break;
                        case "properties" or "patternProperties" or "$defs" or "definitions" or "dependentSchemas" when value is JsonObject map:
                            target[key] = new JsonObject(map.Select(p => KeyValuePair.Create(p.Key, Translate(p.Value, openApi31))));
                            break;
                        default:
                            target[key] = Translate(value, openApi31);
                            break;
                    }
                }

                return !openApi31 && (bool?)source["nullable"] == true ? Nullable(target) : target;
            }

            default:
                return node?.DeepClone();
        }
    }

    private static void AddBounds(JsonObject target, string format)
    {
        (double Min, double Max)? bounds = format switch
        {
            "int32" => (int.MinValue, int.MaxValue),
            "int64" => (long.MinValue, long.MaxValue),
            _ => null,
        };
        if (bounds is { } b)
        {
            target["minimum"] ??= b.Min;
            target["maximum"] ??= b.Max;
        }
    }

    /// <summary>OpenAPI 3.0's <c>nullable: true</c>: the schema or JSON null.</summary>
    private static JsonObject Nullable(JsonObject schema)
    {
        // A type beside allOf/oneOf/anyOf/$ref does not make null valid for them: then it is null or the whole schema.
        if (schema["type"] is JsonValue type && (string?)type is { } single
            && !schema.ContainsKey("$ref") && !schema.ContainsKey("allOf") && !schema.ContainsKey("oneOf") && !schema.ContainsKey("anyOf"))
        {
            schema["type"] = new JsonArray(single, "null");
            if (schema["enum"] is JsonArray values && !values.Any(v => v is null))
            {
                values.Add(null);
            }

            return schema;
        }

        return new JsonObject { ["anyOf"] = new JsonArray(schema, new JsonObject { ["type"] = "null" }) };
    }
}
