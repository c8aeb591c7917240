using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QuayGateway.Clusters;
using QuayGateway.Persistence;
using QuayGateway.Security;

namespace QuayGateway.Rollout;

/// <param name="Name">The cluster's name, as <c>cluster</c> in a create request.</param>
/// <param name="Kind">How the gateway reaches it: <c>kubeconfig</c>, <c>inCluster</c> or <c>sandbox</c>.</param>
/// <param name="IsDefault">Whether a create request without <c>cluster</c> goes here.</param>
/// <param name="Reachable">Whether its API server answered just now.</param>
/// <param name="Version">The Kubernetes version it reports (<c>v1.31.0</c>); null when unreachable.</param>
/// <param name="Error">Why it is unreachable; null when reachable.</param>
/// <param name="Watcher">The replica watching the cluster now (host:pid), or null while none does (a takeover is due).</param>
public sealed record ClusterView(string Name, string Kind, bool IsDefault, bool Reachable, string? Version, string? Error, string? Watcher);

public static class ClustersApi
{
    public const string KubeconfigKind = "kubeconfig";
    public const string InClusterKind = "inCluster";
    public const string SandboxKind = "sandbox";

    /// <summary>How the gateway reaches a cluster (<see cref="ClusterView.Kind"/>).</summary>
    public static readonly IReadOnlyList<string> Kinds = [KubeconfigKind, InClusterKind, SandboxKind];

    public static readonly ClusterView Example = new("sandbox", SandboxKind, true, true, "v1.31.0", null, "quay-gateway-6d8f9b7c5-x2k4q:1");

    public static IEndpointRouteBuilder MapClusters(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/clusters", ListAsync)
            .WithTags("Clusters")
            .RequireAuthorization(Scopes.PlatformAdmin) // the platform's clusters, not a tenant's
            .WithName("ListClusters")
            .WithSummary("List target clusters")
            .WithDescription("The configured clusters (kubeconfig, in-cluster or sandbox), which one is the default, whether each API server answers now, " +
                             "and which gateway replica watches it.");
        return app;
    }

    private static async Task<Ok<List<ClusterView>>> ListAsync(ClusterCatalog catalog, ClusterConnections connections, GatewayDb db, CancellationToken ct)
    {
        await db.Database.OpenConnectionAsync(ct);
        Dictionary<string, string> watchers;
        try
        {
            watchers = await WatchLeadership.WatchersAsync((NpgsqlConnection)db.Database.GetDbConnection(), catalog.Names, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        var views = await Task.WhenAll(catalog.Clusters.Select(async c =>
        {
            var (reachable, version, error) = await connections.Get(c.Key).ProbeAsync(ct);
            var kind = c.Value.Sandbox ? SandboxKind : c.Value.InCluster ? InClusterKind : KubeconfigKind;
            return new ClusterView(c.Key, kind, c.Key == catalog.DefaultCluster, reachable, version, error, watchers.GetValueOrDefault(c.Key));
        }));
        return TypedResults.Ok(views.OrderBy(v => v.Name, StringComparer.Ordinal).ToList());
    }
}
