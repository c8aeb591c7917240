using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// One node of a CRD's structural schema, read once from its JSON: validation runs on every write, and looking
/// keywords up in the schema's JsonObject (whose strings are materialised on each read) cost more than the check.
/// </summary>
internal sealed class SchemaNode
{
    private SchemaNode(JsonObject s)
    {
        Type = s["type"].Str();
        IntOrString = s["x-kubernetes-int-or-string"].Bool() == true;
        Preserve = s["x-kubernetes-preserve-unknown-fields"].Bool() == true;
        Nullable = s["nullable"].Bool() == true;
        Properties = s["properties"] is JsonObject properties
            ? properties.Where(p => p.Value is JsonObject).ToDictionary(p => p.Key, p => new SchemaNode((JsonObject)p.Value!), StringComparer.Ordinal)
            : null;
        Additional = s["additionalProperties"] is JsonObject additional ? new SchemaNode(additional) : null;
        Items = s["items"] is JsonObject items ? new SchemaNode(items) : null;
        Enum = s["enum"] as JsonArray;
        StringEnum = Enum?.All(e => e is JsonValue v && v.GetValueKind() == JsonValueKind.String) == true
            ? Enum.Select(e => e.Str()!).ToHashSet(StringComparer.Ordinal)
            : null;
        Minimum = s["minimum"].Double();
        Maximum = s["maximum"].Double();
        PatternText = s["pattern"].Str();
        Pattern = PatternText is null ? null : new Regex(PatternText, RegexOptions.None, TimeSpan.FromSeconds(1));
        MaxLength = s["maxLength"].Long();
        Required = (s["required"] as JsonArray ?? []).Select(r => r.Str()).OfType<string>().ToArray();
        Rules = (s["x-kubernetes-validations"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(r => (r["rule"].Str() ?? "", r["message"].Str())).ToArray();
    }

    public string? Type { get; }

    public bool IntOrString { get; }

    public bool Preserve { get; }

    public bool Nullable { get; }

    /// <summary>Null when the schema declares no <c>properties</c> (not the same as declaring none).</summary>
    public IReadOnlyDictionary<string, SchemaNode>? Properties { get; }

    public SchemaNode? Additional { get; }

    public SchemaNode? Items { get; }

    public JsonArray? Enum { get; }

    /// <summary>The enum as a set, when every value is a string.</summary>
    public IReadOnlySet<string>? StringEnum { get; }

    public double? Minimum { get; }

    public double? Maximum { get; }

    public string? PatternText { get; }

    public Regex? Pattern { get; }

    public long? MaxLength { get; }

    public string[] Required { get; }

    public (string Rule, string? Message)[] Rules { get; }

    public static SchemaNode From(JsonObject schema) => new(schema);
}
