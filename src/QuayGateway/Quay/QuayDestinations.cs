using QuayGateway.Clusters;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>
/// Where a registry's Quay may be called, whatever its status says: https (http only where the cluster sets
/// <c>AllowInsecureQuay</c>), at the registry's route host (<c>&lt;name&gt;-quay-&lt;namespace&gt;.&lt;AppsDomain&gt;</c>) or
/// the <c>SERVER_HOSTNAME</c> the gateway applied. Anything else gets no credential. The addresses those names resolve
/// to are checked on connection, by the cluster's destination guard (<see cref="QuayTransport"/>).
/// </summary>
public sealed class QuayDestinations(ClusterCatalog catalog)
{
    /// <summary>The registry's Quay, or why it cannot be called (not up yet, or a destination the rules refuse).</summary>
    public (QuayTarget? Target, QuayProblem? Problem) For(Registry registry)
    {
        if (QuayTarget.For(registry) is not { } target)
        {
            return (null, QuayProblem.NotAvailable(registry));
        }

        return Refusal(registry, target.Endpoint) is { } refusal ? (null, QuayProblem.DestinationRefused(refusal)) : (target, null);
    }

    /// <summary>Why the registry's Quay may not be called at <paramref name="endpoint"/>, or null when it may.</summary>
    public string? Refusal(Registry registry, Uri endpoint)
    {
        if (catalog.Clusters.GetValueOrDefault(registry.Cluster) is not { } cluster)
        {
            return $"The cluster '{registry.Cluster}' is not configured.";
        }

        var setting = $"{ClusterCatalog.Section}:{registry.Cluster}";
        if (endpoint.Scheme != Uri.UriSchemeHttps && !(endpoint.Scheme == Uri.UriSchemeHttp && cluster.AllowInsecureQuay))
        {
            return $"The registry endpoint '{endpoint.GetLeftPart(UriPartial.Authority)}' is not https; Quay is called over plain http only " +
                   $"where {setting}:AllowInsecureQuay is true.";
        }

        var routeHost = cluster.AppsDomain is { Length: > 0 } domain ? RouteHost(registry, domain) : null;
        if ((routeHost is not null && endpoint.IsDefaultPort && string.Equals(endpoint.IdnHost, routeHost, StringComparison.OrdinalIgnoreCase))
            || IsServerHostname(endpoint, registry.AppliedServerHostname))
        {
            return null;
        }

        var allowed = string.Join(" or ", new[] { routeHost, registry.AppliedServerHostname }.Where(h => h is not null).Select(h => $"'{h}'"));
        return $"The registry's status names '{endpoint.Authority}' as its endpoint, which is not {(allowed.Length > 0 ? allowed : "a host the gateway knows for it")} " +
               $"(the route host <name>-quay-<namespace>.<{setting}:AppsDomain>, or the SERVER_HOSTNAME the gateway applied). " +
               "No credential is sent there.";
    }

    public static string RouteHost(Registry registry, string appsDomain) => $"{registry.Name}-quay-{registry.Namespace}.{appsDomain.Trim('.')}";

    /// <summary><c>SERVER_HOSTNAME</c> is a host, or host:port.</summary>
    private static bool IsServerHostname(Uri endpoint, string? serverHostname) =>
        serverHostname is { Length: > 0 }
        && (serverHostname.Contains(':', StringComparison.Ordinal)
            ? string.Equals(endpoint.Authority, serverHostname, StringComparison.OrdinalIgnoreCase)
            : endpoint.IsDefaultPort && string.Equals(endpoint.IdnHost, serverHostname, StringComparison.OrdinalIgnoreCase));
}
