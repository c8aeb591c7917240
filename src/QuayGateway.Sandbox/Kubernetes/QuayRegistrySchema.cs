using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// Validates QuayRegistry objects as the apiserver does with the embedded CRD's structural schema: unknown fields
/// and nulls are pruned, then types, required, enum, minimum/maximum, pattern and the CEL rules
/// (<c>x-kubernetes-validations</c>) are checked. Errors carry the apiserver's field paths and wording.
/// </summary>
internal sealed class QuayRegistrySchema
{
    private sealed record Error(string Reason, string Field, string Detail);

    private readonly SchemaNode _schema;

    /// <summary>Fails at load, not at the first write, when the CRD has a CEL rule the sandbox cannot evaluate.</summary>
    public QuayRegistrySchema(JsonObject schema)
    {
        _schema = SchemaNode.From(schema);
        foreach (var rule in Rules(schema)) CelSubset.EnsureSupported(rule);
    }

    private static IEnumerable<string> Rules(JsonNode? node) => node switch
    {
        JsonObject o => (o["x-kubernetes-validations"] as JsonArray ?? []).Select(r => r?["rule"].Str()).OfType<string>()
            .Concat(o.Where(p => p.Key != "x-kubernetes-validations").SelectMany(p => Rules(p.Value))),
        JsonArray a => a.SelectMany(Rules),
        _ => [],
    };

    public static QuayRegistrySchema Instance { get; } = new(QuayRegistryCrd.Instance.Schema);

    /// <summary>
    /// A 3.6-era cluster has the 3.6 CRD, whose status also declares the config editor fields and
    /// <c>unhealthyComponents</c> (the master CRD dropped them; reference NOTES.md "3.6 shape"). Without them the
    /// server would prune the status the 3.6 operator writes.
    /// </summary>
    public static QuayRegistrySchema Legacy36 { get; } = new(WithLegacyStatus(QuayRegistryCrd.Instance.Schema));

    private static JsonObject WithLegacyStatus(JsonObject schema)
    {
        var legacy = (JsonObject)schema.DeepClone();
        var status = legacy["properties"]!["status"]!["properties"]!.AsObject();
        status["configEditorEndpoint"] = new JsonObject { ["type"] = "string", ["description"] = "ConfigEditorEndpoint is the external access point for the config editor." };
        status["configEditorCredentialsSecret"] = new JsonObject { ["type"] = "string", ["description"] = "ConfigEditorCredentialsSecret is the Secret holding the config editor's credentials." };
        status["unhealthyComponents"] = new JsonObject
        {
            ["type"] = "object",
            ["description"] = "UnhealthyComponents lists the Deployment conditions of each component that is not available.",
            ["x-kubernetes-preserve-unknown-fields"] = true,
        };
        return legacy;
    }

    /// <summary>Prunes <paramref name="obj"/> in place and throws a 422 Invalid when it breaks the schema.</summary>
    public void Validate(JsonObject obj)
    {
        var errors = new List<Error>();
        Walk(obj, _schema, "", errors, pruned: null, isRoot: true);
        if (errors.Count > 0)
            throw KubernetesStatusException.Invalid(ResourceTypes.QuayRegistries, obj.Name() ?? "", errors.Select(e => (e.Reason, e.Field, e.Detail)).ToList());
    }

    /// <summary>The fields the schema does not declare (what <c>fieldValidation=Strict</c> rejects), e.g. <c>spec.foo</c>.</summary>
    public IReadOnlyList<string> UnknownFields(JsonObject obj)
    {
        var pruned = new List<string>();
        Walk(obj.DeepClone(), _schema, "", [], pruned, isRoot: true);
        return pruned;
    }

    private static void Walk(JsonNode? node, SchemaNode s, string path, List<Error> errors, List<string>? pruned, bool isRoot = false)
    {
        if (node is null) return;
        if (s.IntOrString)
        {
            if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String) CheckString(v.GetValue<string>(), s, path, errors);
            else if (TypeOf(node) != "integer") errors.Add(TypeError(path, node, "integer or string"));
            return;
        }
        var expected = s.Type;
        var actual = TypeOf(node);
        if (expected is not null && expected != actual && !(expected == "number" && actual == "integer"))
        {
            errors.Add(TypeError(path, node, expected));
            return;
        }
        switch (node)
        {
            case JsonObject obj:
                WalkObject(obj, s, path, errors, pruned, isRoot);
                break;
            case JsonArray array when s.Items is { } items:
                for (var i = 0; i < array.Count; i++) Walk(array[i], items, $"{path}[{i}]", errors, pruned);
                break;
            case JsonValue value:
                CheckScalar(value, s, path, errors);
                break;
        }
    }

    private static void WalkObject(JsonObject obj, SchemaNode s, string path, List<Error> errors, List<string>? pruned, bool isRoot)
    {
        var properties = s.Properties;
        List<string>? drop = null; // removed after the walk: the object cannot change while it is enumerated
        foreach (var (key, value) in obj)
        {
            if (isRoot && key == "metadata") continue; // ObjectMeta is validated by the apiserver itself
            var childSchema = properties is not null && properties.TryGetValue(key, out var declared) ? declared : s.Additional;
            if (childSchema is null)
            {
                if (properties is null && s.Preserve) continue;
                pruned?.Add(path.Length == 0 ? key : $"{path}.{key}");
                (drop ??= []).Add(key);
                continue;
            }
            if (value is null && !childSchema.Nullable)
            {
                (drop ??= []).Add(key); // nulls of non-nullable fields are dropped, not rejected
                continue;
            }
            Walk(value, childSchema, path.Length == 0 ? key : $"{path}.{key}", errors, pruned);
        }
        foreach (var key in drop ?? []) obj.Remove(key);
        foreach (var required in s.Required)
        {
            if (!obj.ContainsKey(required)) errors.Add(new("FieldValueRequired", path.Length == 0 ? required : $"{path}.{required}", "Required value"));
        }
        foreach (var (expression, message) in s.Rules)
        {
            if (!CelSubset.Evaluate(expression, obj))
                errors.Add(new("FieldValueInvalid", path, $"Invalid value: \"object\": {message ?? $"failed rule: {expression}"}"));
        }
    }

    private static void CheckScalar(JsonValue value, SchemaNode s, string path, List<Error> errors)
    {
        var kind = value.GetValueKind();
        if (s.Enum is { } allowed && !(s.StringEnum is { } names && kind == JsonValueKind.String
                ? names.Contains(value.GetValue<string>())
                : allowed.Any(a => JsonNode.DeepEquals(a, value))))
        {
            var supported = string.Join(", ", allowed.Select(a => a!.ToJsonString(KubeJson.Options)));
            errors.Add(new("FieldValueNotSupported", path, $"Unsupported value: {value.ToJsonString(KubeJson.Options)}: supported values: {supported}"));
            return;
        }
        if (kind == JsonValueKind.String)
        {
            if (s.Pattern is not null || s.MaxLength is not null) CheckString(value.GetValue<string>(), s, path, errors);
        }
        else if (kind == JsonValueKind.Number)
        {
            var number = value.Double() ?? 0;
            if (s.Minimum is { } min && number < min)
                errors.Add(new("FieldValueInvalid", path, $"Invalid value: {value.ToJsonString(KubeJson.Options)}: {path} in body should be greater than or equal to {Format(min)}"));
            if (s.Maximum is { } max && number > max)
                errors.Add(new("FieldValueInvalid", path, $"Invalid value: {value.ToJsonString(KubeJson.Options)}: {path} in body should be less than or equal to {Format(max)}"));
        }
    }

    private static void CheckString(string text, SchemaNode s, string path, List<Error> errors)
    {
        if (s.Pattern is { } pattern && !pattern.IsMatch(text))
            errors.Add(new("FieldValueInvalid", path, $"Invalid value: \"{text}\": {path} in body should match '{s.PatternText}'"));
        if (s.MaxLength is { } maxLength && text.Length > maxLength)
            errors.Add(new("FieldValueTooLong", path, $"Too long: may not be more than {maxLength} bytes"));
    }

    private static Error TypeError(string path, JsonNode node, string expected) =>
        new("FieldValueTypeInvalid", path, $"Invalid value: \"{TypeOf(node)}\": {path} in body must be of type {expected}: \"{TypeOf(node)}\"");

    private static string TypeOf(JsonNode node) => node switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v => v.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.True or JsonValueKind.False => "boolean",
            JsonValueKind.Number => v.TryGetValue(out long _) || (v.TryGetValue(out double d) && d == Math.Floor(d)) ? "integer" : "number",
            _ => "null",
        },
        _ => "null",
    };

    private static string Format(double d) => d.ToString(CultureInfo.InvariantCulture);
}
