using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>What the apiserver does to a write before it stores it: defaulting, and validation (the CRD's schema and rules for QuayRegistry).</summary>
internal static class Admission
{
    /// <summary>Defaults a real server fills in on create.</summary>
    public static void Default(ResourceType type, JsonObject obj)
    {
        if (type == ResourceTypes.Namespaces)
        {
            if (obj["spec"]?["finalizers"] is not JsonArray { Count: > 0 }) obj["spec"] = new JsonObject { ["finalizers"] = new JsonArray("kubernetes") };
            obj["status"] = new JsonObject { ["phase"] = "Active" };
        }
        if (type == ResourceTypes.Secrets && string.IsNullOrEmpty(obj["type"].Str())) obj["type"] = "Opaque";
    }

    public static void Validate(ResourceType type, JsonObject proposed, QuayRegistrySchema schema)
    {
        if (type == ResourceTypes.QuayRegistries) schema.Validate(proposed);
    }
}
