using System.Text.Json.Nodes;

namespace QuayGateway.Tests.Fuzz;

/// <summary>
/// JSON values for a schema of the document: valid ones (seeded with the values its examples give each property name,
/// so that valid requests get past the domain rules), boundary ones and type-confused ones.
/// </summary>
public sealed class SchemaValues
{
    private const int MaxDepth = 6;
    private readonly ApiDocument _document;
    private readonly Dictionary<string, List<JsonNode>> _examples = new(StringComparer.Ordinal);

    public SchemaValues(ApiDocument document)
    {
        _document = document;
        Harvest(document.Root, null, inExample: false);
    }

    /// <summary>Strings that have broken parsers, databases and logs before.</summary>
    public static readonly string[] HostileStrings =
    [
        "", " ", "\u0000", "a\u0000b", "\t\r\n", "\u001b[31m", "\u202e\u0644\u0627", "\ud83d\ude00", "\uFFFF", "\uFEFF x",
        "é", "Ǆ", "İ", "ﬀ", "%00", "%", "%ZZ", "../../etc/passwd", "' OR '1'='1", "\"; DROP TABLE registries; --", "{{7*7}}",
        "${jndi:ldap://x}", "<script>alert(1)</script>", "null", "true", "0", "-1", "1e309", "NaN", "0x10", "00000000-0000-0000-0000-000000000000",
        "ffffffff-ffff-ffff-ffff-ffffffffffff", "2026-13-45T25:61:61Z", "*", "\\", "/", "a/b", "a b", "A-UPPER", "-lead", "trail-",
        "http://169.254.169.254/latest/meta-data", "file:///etc/passwd", "https://", "mailto:x", "x@", "@x",
    ];

    public JsonNode? Valid(JsonNode schemaRef, Random random, string? propertyName = null, int depth = 0)
    {
        var schema = _document.Resolve(schemaRef);
        if (propertyName is not null && _examples.TryGetValue(propertyName, out var seen) && random.Next(4) != 0)
        {
            var example = seen[random.Next(seen.Count)].DeepClone();
            // Names that must be unique (registries, keys, organizations) get a suffix now and then, so creates succeed.
            return example is JsonValue v && v.TryGetValue<string>(out var s) && random.Next(2) == 0 && !s.Contains('@', StringComparison.Ordinal)
                ? JsonValue.Create($"{s}-{random.Next(1_000_000):x}")
                : example;
        }

        if (schema["enum"] is JsonArray values && values.Count > 0)
        {
            return values[random.Next(values.Count)]?.DeepClone();
        }

        switch (TypeOf(schema))
        {
            case "object":
                var result = new JsonObject();
                var required = schema["required"]?.AsArray().Select(r => (string?)r).ToHashSet() ?? [];
                foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
                {
                    if (property is not null && (bool?)_document.Resolve(property)["readOnly"] != true
                        && (required.Contains(name) || (depth < MaxDepth && random.Next(3) == 0)))
                    {
                        result[name] = Valid(property, random, name, depth + 1);
                    }
                }

                if (schema["additionalProperties"] is JsonObject additional && depth < MaxDepth && schema["properties"] is null)
                {
                    for (var i = random.Next(3); i > 0; i--)
                    {
                        result[$"key{random.Next(100)}"] = Valid(additional, random, null, depth + 1);
                    }
                }

                return result;
            case "array":
                var items = new JsonArray();
                for (var i = depth < MaxDepth ? random.Next(4) : 0; i > 0; i--)
                {
                    items.Add(Valid(schema["items"] ?? new JsonObject(), random, propertyName is null ? null : propertyName + "[]", depth + 1));
                }

                return items;
            case "integer":
                return random.Next(4) == 0 ? random.Next(-1, 3) : random.Next(1, 200);
            case "number":
                return Math.Round(random.NextDouble() * 100, 2);
            case "boolean":
                return random.Next(2) == 0;
            case "string":
                return (string?)schema["format"] switch
                {
                    "uuid" => Guid.NewGuid().ToString(),
                    "date-time" => DateTimeOffset.UtcNow.AddDays(random.Next(-3, 30)).ToString("O"),
                    _ => $"fuzz-{random.Next(100_000):x}",
                };
            default:
                return random.Next(2) == 0 ? "fuzz" : random.Next(100);
        }
    }

    /// <summary>A value at or just past a limit of the schema, or a hostile string.</summary>
    public JsonNode? Boundary(JsonNode schemaRef, Random random)
    {
        var schema = _document.Resolve(schemaRef);
        var maxLength = (int?)schema["maxLength"] ?? 1024;
        return TypeOf(schema) switch
        {
            "string" => random.Next(6) switch
            {
                0 => new string('a', maxLength),
                1 => new string('a', maxLength + 1),
                2 => new string('x', random.Next(2) == 0 ? 70_000 : 1025),
                _ => HostileStrings[random.Next(HostileStrings.Length)],
            },
            "integer" => random.Next(7) switch
            {
                0 => int.MaxValue,
                1 => int.MinValue,
                2 => long.MaxValue,
                3 => -1,
                4 => 0,
                5 => (long)int.MaxValue + 1,
                _ => JsonNode.Parse("1" + new string('0', 40)),
            },
            "number" => JsonNode.Parse(random.Next(2) == 0 ? "1e308" : "-0.0"),
            "array" => new JsonArray([.. Enumerable.Range(0, random.Next(2) == 0 ? 0 : 2000).Select(_ => Valid(schema["items"] ?? new JsonObject(), random, null, MaxDepth))]),
            "object" => random.Next(2) == 0 ? new JsonObject() : ManyKeys(random),
            _ => HostileStrings[random.Next(HostileStrings.Length)],
        };
    }

    /// <summary>A value of another JSON type than the schema's.</summary>
    public static JsonNode? Confused(JsonNode schema, Random random)
    {
        JsonNode?[] candidates = [null, 0, -7, 1.5, true, "text", "123", new JsonArray(), new JsonArray(1, "a", null), new JsonObject(), new JsonObject { ["x"] = 1 }];
        var type = TypeOf(schema);
        var others = candidates.Where(c => c?.GetValueKind().ToString().ToLowerInvariant() switch
        {
            "string" => type != "string",
            "number" => type is not ("integer" or "number"),
            "true" or "false" => type != "boolean",
            "array" => type != "array",
            "object" => type != "object",
            _ => true,
        }).ToArray();
        return others[random.Next(others.Length)]?.DeepClone();
    }

    private static JsonObject ManyKeys(Random random)
    {
        var many = new JsonObject();
        for (var i = 0; i < 1000; i++)
        {
            many[$"k{i}"] = random.Next(2) == 0 ? "v" : HostileStrings[random.Next(HostileStrings.Length)];
        }

        return many;
    }

    private static string? TypeOf(JsonNode schema) => schema["type"] switch
    {
        JsonArray types => types.Select(t => (string?)t).FirstOrDefault(t => t != "null"),
        { } type => (string?)type,
        _ => schema["properties"] is not null ? "object" : null,
    };

    /// <summary>Every property value of every example in the document, by property name.</summary>
    private void Harvest(JsonNode? node, string? name, bool inExample)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    var example = inExample || key is "example";
                    if (inExample && value is not null)
                    {
                        Remember(key, value);
                    }

                    Harvest(value, key, example);
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (inExample && name is not null && item is JsonValue)
                    {
                        Remember(name + "[]", item);
                    }

                    Harvest(item, name, inExample);
                }

                break;
        }
    }

    private void Remember(string key, JsonNode value)
    {
        if (!_examples.TryGetValue(key, out var list))
        {
            _examples[key] = list = [];
        }

        list.Add(value.DeepClone());
    }
}
