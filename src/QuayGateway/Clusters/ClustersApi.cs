using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Security;

namespace QuayGateway.Clusters;

public sealed record ClusterView(string Name, string Kind, bool IsDefault, bool Reachable, string? Version, string? Error);

public static class ClustersApi
{
    public static IEndpointRouteBuilder MapClusters(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/clusters", ListAsync)
            .WithTags("Clusters")
            .RequireAuthorization(Scopes.RegistriesRead)
            .WithName("ListClusters")
            .WithSummary("List target clusters")
            .WithDescription("The configured clusters (kubeconfig, in-cluster or sandbox), which one is the default, and whether each API server answers now.");
        return app;
    }

    private static async Task<Ok<List<ClusterView>>> ListAsync(ClusterCatalog catalog, ClusterConnections connections, CancellationToken ct)
    {
        var views = await Task.WhenAll(catalog.Clusters.Select(async c =>
        {
            var (reachable, version, error) = await connections.Get(c.Key).ProbeAsync(ct);
            var kind = c.Value.Sandbox ? "sandbox" : c.Value.InCluster ? "inCluster" : "kubeconfig";
            return new ClusterView(c.Key, kind, c.Key == catalog.DefaultCluster, reachable, version, error);
        }));
        return TypedResults.Ok(views.OrderBy(v => v.Name, StringComparer.Ordinal).ToList());
    }
}
