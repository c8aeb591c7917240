using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using k8s;
using k8s.Models;

namespace QuayGateway.Clusters;

/// <summary>
/// A QuayRegistry as the API server returns it. Spec and status stay raw JSON: the gateway shows the operator's
/// status verbatim and must keep fields it does not know (3.6-era and current operators differ).
/// </summary>
public sealed class QuayRegistryResource : IKubernetesObject<V1ObjectMeta>
{
    public const string Group = "quay.redhat.com";
    public const string Version = "v1";
    public const string Plural = "quayregistries";
    public const string ResourceKind = "QuayRegistry";

    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{Group}/{Version}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = ResourceKind;

    [JsonPropertyName("metadata")]
    public V1ObjectMeta Metadata { get; set; } = new();

    [JsonPropertyName("spec")]
    public JsonObject? Spec { get; set; }

    [JsonPropertyName("status")]
    public JsonObject? Status { get; set; }
}

public sealed class QuayRegistryList : IKubernetesObject<V1ListMeta>, IItems<QuayRegistryResource>
{
    [JsonPropertyName("apiVersion")]
    public string ApiVersion { get; set; } = $"{QuayRegistryResource.Group}/{QuayRegistryResource.Version}";

    [JsonPropertyName("kind")]
    public string Kind { get; set; } = "QuayRegistryList";

    [JsonPropertyName("metadata")]
    public V1ListMeta Metadata { get; set; } = new();

    [JsonPropertyName("items")]
    public IList<QuayRegistryResource> Items { get; set; } = [];
}
