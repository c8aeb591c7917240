using System.Text.Json.Nodes;
using k8s.Models;
using QuayGateway.Clusters;

namespace QuayGateway.Registries.Model;

/// <summary>
/// Request → the objects the Quay Operator needs: the namespace, the config-bundle Secret the gateway owns
/// (<c>&lt;name&gt;-config-bundle</c>, for an inline bundle) and the QuayRegistry.
/// </summary>
public static class RegistryManifest
{
    public static string BundleSecretName(Registry registry) => $"{registry.Name}-config-bundle";

    /// <summary>The bundle Secret the QuayRegistry points at: the gateway's own, the named one, or none (the operator generates one).</summary>
    public static string? ConfigBundleSecret(Registry registry) =>
        registry.Spec.ConfigBundle is not null ? BundleSecretName(registry) : registry.Spec.ConfigBundleSecret;

    public static Dictionary<string, string> Labels(Registry registry) =>
        new(registry.Spec.Labels) { [ClusterClient.ManagedByLabel] = ClusterClient.FieldManager };

    public static Dictionary<string, string> Annotations(Registry registry) =>
        new() { [ClusterClient.RegistryIdAnnotation] = registry.Id.ToString() };

    /// <summary>Whether an object carries this registry's id annotation, i.e. the gateway made it for this registry.</summary>
    public static bool IsMarkedFor(Registry registry, V1ObjectMeta? metadata) =>
        metadata?.Annotations?.TryGetValue(ClusterClient.RegistryIdAnnotation, out var id) == true
        && Guid.TryParse(id, out var parsed) && parsed == registry.Id;

    /// <summary>
    /// The registry's own QuayRegistry: its place, its annotation, and the uid recorded at the apply (any, before one
    /// is recorded). A copy elsewhere, or another object under the same name, is not.
    /// </summary>
    public static bool IsOwn(Registry registry, QuayRegistryResource live) =>
        live.Metadata.NamespaceProperty == registry.Namespace && live.Metadata.Name == registry.Name && IsMarkedFor(registry, live.Metadata)
        && (registry.QuayRegistryUid is null || registry.QuayRegistryUid == live.Metadata.Uid);

    /// <summary>
    /// The QuayRegistry to apply. The operator writes default components back into <c>spec.components</c> (an atomic
    /// list); starting from the live list and replacing only the requested kinds means a re-apply changes nothing the
    /// operator added, and causes no new generation when the request is unchanged.
    /// </summary>
    public static QuayRegistryResource Build(Registry registry, QuayRegistryResource? live)
    {
        var spec = new JsonObject { ["components"] = Components(registry.Spec.Components, live?.Spec?["components"] as JsonArray) };
        if ((ConfigBundleSecret(registry) ?? (string?)live?.Spec?["configBundleSecret"]) is { } bundle)
        {
            spec["configBundleSecret"] = bundle;
        }

        return new QuayRegistryResource
        {
            Metadata = new V1ObjectMeta
            {
                Name = registry.Name,
                NamespaceProperty = registry.Namespace,
                Labels = Labels(registry),
                Annotations = Annotations(registry),
            },
            Spec = spec,
        };
    }

    /// <summary>
    /// What an out-of-band edit changed in the fields the gateway owns (its requested components and bundle), or null.
    /// Fields the operator or others own are not compared, as server-side apply would not reclaim them either.
    /// </summary>
    public static string? Drift(Registry registry, QuayRegistryResource live)
    {
        var liveComponents = (live.Spec?["components"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(c => c["kind"] is not null)
            .GroupBy(c => (string)c["kind"]!)
            .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var wanted in registry.Spec.Components)
        {
            var desired = ToJson(wanted);
            if (!liveComponents.TryGetValue(wanted.Kind, out var actual))
            {
                return $"component {wanted.Kind} was removed";
            }

            if ((bool?)actual["managed"] != (bool?)desired["managed"]
                || !JsonNode.DeepEquals(actual["overrides"], desired["overrides"]))
            {
                return $"component {wanted.Kind} was changed";
            }
        }

        var bundle = ConfigBundleSecret(registry);
        return bundle is not null && (string?)live.Spec?["configBundleSecret"] != bundle
            ? $"configBundleSecret was changed to '{live.Spec?["configBundleSecret"]}'"
            : null;
    }

    private static JsonArray Components(IReadOnlyList<ComponentSpec> requested, JsonArray? live)
    {
        var byKind = requested.ToDictionary(c => c.Kind, ToJson, StringComparer.Ordinal);
        var result = new JsonArray();
        foreach (var existing in live ?? [])
        {
            var kind = (string?)existing?["kind"];
            if (kind is not null && byKind.Remove(kind, out var replacement))
            {
                result.Add(replacement);
            }
            else if (existing is not null)
            {
                result.Add(existing.DeepClone());
            }
        }

        foreach (var component in requested.Where(c => byKind.ContainsKey(c.Kind)))
        {
            result.Add(byKind[component.Kind]);
        }

        return result;
    }

    private static JsonObject ToJson(ComponentSpec component)
    {
        var json = new JsonObject { ["kind"] = component.Kind, ["managed"] = component.Managed ?? true };
        if (component.Overrides is { Count: > 0 } overrides)
        {
            var o = new JsonObject();
            foreach (var (key, value) in overrides)
            {
                o[key] = JsonNode.Parse(value.GetRawText());
            }

            json["overrides"] = o;
        }

        if (component.SecretRef?.Name is { } secretName)
        {
            json["secretRef"] = new JsonObject { ["name"] = secretName };
        }

        return json;
    }

    public static string ToJson(QuayRegistryResource resource) => k8s.KubernetesJson.Serialize(resource);
}
