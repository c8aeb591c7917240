using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>What the apiserver checks before it stores a write: for QuayRegistry, the CRD's schema and rules.</summary>
internal static class Admission
{
    public static void Validate(ResourceType type, JsonObject proposed, JsonObject? existing)
    {
        _ = existing;
        if (type == ResourceTypes.QuayRegistries) QuayRegistrySchema.Instance.Validate(proposed);
    }
}
