using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>One registry's Quay: the cluster it runs on (for its proxy and TLS settings) and its endpoint.</summary>
public sealed record QuayTarget(string Cluster, Uri Endpoint)
{
    /// <summary>Carries the cluster on each request, for <see cref="QuayTransport"/>.</summary>
    public static readonly HttpRequestOptionsKey<string> ClusterOption = new("QuayGateway.Cluster");

    public static QuayTarget? For(Registry registry) =>
        Uri.TryCreate(registry.RegistryEndpoint?.TrimEnd('/') + "/", UriKind.Absolute, out var endpoint)
            ? new QuayTarget(registry.Cluster, endpoint)
            : null;
}
