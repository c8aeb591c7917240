using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>Validation of QuayRegistry objects against the embedded real CRD (filled in below).</summary>
internal sealed class QuayRegistrySchema
{
    public static QuayRegistrySchema Instance { get; } = new();

    public void Validate(JsonObject obj) => _ = obj;
}
