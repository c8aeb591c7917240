using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace QuayGateway.Tests.Infrastructure;

/// <summary>
/// Checks an answer of the gateway against what the OpenAPI document (3.0) declares for its operation, status and
/// content type: the status and content type must be documented, every required header present, and a JSON body valid
/// against the declared schema. OpenAPI 3.0 schemas become JSON Schema 2020-12 on the way (nullable: true adds null;
/// $refs point into $defs), and JsonSchema.Net judges them.
/// </summary>
public static class OpenApiValidator
{
    private static readonly ConditionalWeakTable<JsonNode, ConcurrentDictionary<string, JsonSchema>> Schemas = new();

    /// <returns>The violations, each a sentence naming the operation; empty when the answer is what the document says.</returns>
    public static IReadOnlyList<string> Check(JsonNode document, string pathTemplate, string method, int status, string? contentType,
        string? body, IReadOnlyDictionary<string, string>? headers = null)
    {
        var where = $"{method.ToUpperInvariant()} {pathTemplate} -> {status}";
        var operation = document["paths"]?[pathTemplate]?[method.ToLowerInvariant()];
        if (operation is null)
        {
            return [$"{where}: the document has no such operation"];
        }

        var responses = operation["responses"]?.AsObject();
        var key = status.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var response = responses?[key] ?? responses?[$"{key[0]}XX"] ?? responses?["default"];
        if (response is null)
        {
            return [$"{where}: status {status} is not documented (documented: {string.Join(", ", responses?.Select(r => r.Key) ?? [])})"];
        }

        var violations = new List<string>();
        foreach (var (name, header) in response["headers"]?.AsObject() ?? [])
        {
            if ((bool?)header?["required"] == true
                && !(headers ?? new Dictionary<string, string>()).Keys.Any(k => string.Equals(k, name, StringComparison.OrdinalIgnoreCase)))
            {
                violations.Add($"{where}: the documented header {name} is missing");
            }
        }

        var content = response["content"]?.AsObject();
        var mediaType = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (content is null || content.Count == 0)
        {
            if (!string.IsNullOrEmpty(body))
            {
                violations.Add($"{where}: a body ({mediaType ?? "no content type"}) where the document declares none");
            }

            return violations;
        }

        if (mediaType is null)
        {
            violations.Add($"{where}: no Content-Type, where the document declares {string.Join(", ", content.Select(c => c.Key))}");
            return violations;
        }

        if (!content.TryGetPropertyValue(mediaType, out var media))
        {
            violations.Add($"{where}: content type {mediaType} is not documented (documented: {string.Join(", ", content.Select(c => c.Key))})");
            return violations;
        }

        var schemaNode = media?["schema"];
        if (schemaNode is null)
        {
            return violations;
        }

        JsonElement instance;
        if (mediaType.EndsWith("json", StringComparison.Ordinal))
        {
            try
            {
                using var parsed = JsonDocument.Parse(body ?? "");
                instance = parsed.RootElement.Clone();
            }
            catch (JsonException e)
            {
                violations.Add($"{where}: the {mediaType} body is not JSON: {e.Message}");
                return violations;
            }
        }
        else
        {
            instance = JsonSerializer.SerializeToElement(body ?? "");
        }

        var schema = Schemas.GetOrCreateValue(document).GetOrAdd($"{pathTemplate} {method} {key} {mediaType}", _ => Build(document, schemaNode));
        var result = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (!result.IsValid)
        {
            var errors = (result.Details ?? [])
                .Where(d => d.Errors is { Count: > 0 })
                .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation} ({d.EvaluationPath}): {e.Value}"))
                .Distinct()
                .Take(20)
                .ToList();
            violations.Add($"{where} ({mediaType}): the body does not fit the documented schema:\n  " +
                           string.Join("\n  ", errors.Count > 0 ? errors : ["(no details)"]) + $"\n  body: {Truncate(body)}");
        }

        return violations;
    }

    private static string Truncate(string? body) => body is null ? "(none)" : body.Length > 2000 ? body[..2000] + "…" : body;

    /// <summary>The response schema with every component schema under $defs, as one JSON Schema 2020-12 document.</summary>
    private static JsonSchema Build(JsonNode document, JsonNode schema)
    {
        var defs = new JsonObject();
        foreach (var (name, component) in document["components"]?["schemas"]?.AsObject() ?? [])
        {
            defs[name] = Convert(component);
        }

        var root = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["$defs"] = defs,
            ["allOf"] = new JsonArray(Convert(schema)),
        };
        var options = new BuildOptions { SchemaRegistry = new SchemaRegistry() };
        return JsonSchema.Build(JsonSerializer.SerializeToElement(root), options, new Uri($"urn:openapi-validator:{Guid.NewGuid():N}"));
    }

    /// <summary>OpenAPI 3.0 schema object → JSON Schema 2020-12.</summary>
    private static JsonNode? Convert(JsonNode? node)
    {
        switch (node)
        {
            case JsonArray array:
                return new JsonArray(array.Select(Convert).ToArray());
            case not JsonObject:
                return node?.DeepClone();
        }

        var source = node.AsObject();
        var result = new JsonObject();
        foreach (var (name, value) in source)
        {
            switch (name)
            {
                case "nullable" or "example" or "discriminator" or "xml" or "externalDocs":
                    break;
                case "$ref":
                    result[name] = ((string?)value)?.Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
                    break;
                case "properties" or "patternProperties":
                    result[name] = new JsonObject(value!.AsObject().Select(p => KeyValuePair.Create(p.Key, Convert(p.Value))));
                    break;
                case "items" or "additionalProperties" or "not":
                    result[name] = value is JsonValue ? value.DeepClone() : Convert(value);
                    break;
                case "allOf" or "anyOf" or "oneOf":
                    result[name] = Convert(value);
                    break;
                default:
                    result[name] = value?.DeepClone();
                    break;
            }
        }

        if ((bool?)source["nullable"] != true)
        {
            return result;
        }

        if (result["type"] is JsonValue type && result["allOf"] is null && result["oneOf"] is null && result["anyOf"] is null && result["$ref"] is null)
        {
            result["type"] = new JsonArray((string?)type, "null");
            if (result["enum"] is JsonArray values && !values.Any(v => v is null))
            {
                values.Add(null);
            }

            return result;
        }

        // nullable beside allOf/oneOf/$ref (no type of its own): null, or what the rest says.
        return new JsonObject { ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "null" }, result) };
    }
}
