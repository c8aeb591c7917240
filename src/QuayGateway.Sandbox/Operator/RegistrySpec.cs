using System.Text.Json.Nodes;
using QuayGateway.Sandbox.Kubernetes;

namespace QuayGateway.Sandbox.Operator;

internal sealed record ComponentSpec(string Kind, bool Managed, JsonObject? Overrides, JsonNode? SecretRef)
{
    public int? Replicas => Overrides?["replicas"].Long() is { } r ? (int)r : null;
}

/// <summary>The parts of a QuayRegistry's spec the operator acts on.</summary>
internal sealed record RegistrySpec(IReadOnlyList<ComponentSpec> Components, string? ConfigBundleSecret)
{
    public static RegistrySpec From(JsonObject registry)
    {
        var spec = registry["spec"] as JsonObject;
        var components = (spec?["components"] as JsonArray ?? [])
            .OfType<JsonObject>()
            .Select(c => new ComponentSpec(c["kind"].Str() ?? "", c["managed"].Bool() ?? true, c["overrides"] as JsonObject, c["secretRef"]))
            .ToList();
        return new RegistrySpec(components, spec?["configBundleSecret"].Str() is { Length: > 0 } bundle ? bundle : null);
    }

    public ComponentSpec? Find(string kind) => Components.FirstOrDefault(c => c.Kind == kind);

    /// <summary>
    /// Unlisted kinds default to managed: the sandbox plays an OpenShift cluster where Routes, ObjectBucketClaims
    /// and the Prometheus operator all exist, so none of the real operator's exceptions apply. Quay always is.
    /// </summary>
    public bool IsManaged(string kind) => kind == "quay" || (Find(kind)?.Managed ?? true);

    /// <summary>Spec components with every missing kind of the profile appended as managed, as the operator writes back.</summary>
    public static JsonArray WithDefaults(JsonArray? listed, OperatorProfile profile)
    {
        var components = (JsonArray?)listed?.DeepClone() ?? [];
        var present = components.Select(c => c?["kind"].Str()).ToHashSet(StringComparer.Ordinal);
        foreach (var kind in profile.Kinds.Where(k => !present.Contains(k)))
        {
            components.Add(new JsonObject { ["kind"] = kind, ["managed"] = true });
        }

        return components;
    }
}
