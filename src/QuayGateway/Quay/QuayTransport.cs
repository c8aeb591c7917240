using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using QuayGateway.Clusters;
using QuayGateway.Hosting;

namespace QuayGateway.Quay;

/// <summary>
/// How a request reaches a registry's Quay, per cluster: through the cluster's <c>QuayProxy</c> when it names one
/// (<c>CONNECT</c>, as behind an egress proxy), and with TLS verified against its <c>QuayCaBundle</c> (or skipped, only
/// with <c>InsecureSkipTlsVerify</c>). Each cluster gets a connection pool of its own, with its own proxy and trust.
/// Whatever the caller asks, nothing leaves over plain http unless the cluster sets <c>AllowInsecureQuay</c>, and no
/// connection is made to a loopback, private or link-local address unless its <c>AllowedQuayDestinations</c> allow it
/// (the destination guard, checked on the address connected to). Through a proxy the proxy is trusted configuration:
/// it resolves the <c>CONNECT</c> target, so only a target given as an address is checked here.
/// </summary>
public sealed class QuayTransport(ClusterCatalog catalog) : IDisposable
{
    private readonly ConcurrentDictionary<string, Route> _clusters = new(StringComparer.Ordinal);

    /// <summary>The Quay client's primary handler: it sends each request on the pool of the request's cluster.</summary>
    public HttpMessageHandler CreatePrimaryHandler() => new PerCluster(this);

    public void Dispose()
    {
        foreach (var route in _clusters.Values)
        {
            route.Invoker.Dispose();
        }
    }

    /// <summary>One cluster's pool, settings and guard.</summary>
    private sealed record Route(HttpMessageInvoker Invoker, ClusterOptions? Cluster, DestinationGuard Guard, string Setting)
    {
        /// <summary>Why the request may not leave, or null.</summary>
        public string? Refusal(Uri url)
        {
            if (url.Scheme != Uri.UriSchemeHttps && !(url.Scheme == Uri.UriSchemeHttp && Cluster?.AllowInsecureQuay == true))
            {
                return $"Quay is called over https only ({Setting}:AllowInsecureQuay allows http).";
            }

            return Cluster?.QuayProxy is not null && IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var address) && !Guard.IsAllowed(address)
                ? $"{address} is a loopback, link-local, private or otherwise internal address; {Setting}:AllowedQuayDestinations may allow it."
                : null;
        }
    }

    private Route For(string? name) =>
        _clusters.GetOrAdd(name ?? "", static (name, catalog) =>
        {
            var cluster = catalog.Clusters.GetValueOrDefault(name);
            var setting = $"{ClusterCatalog.Section}:{name}";
            var guard = new DestinationGuard(cluster?.AllowedQuayDestinations ?? [], $"{setting}:AllowedQuayDestinations");
            var bundle = cluster?.QuayCaBundle is { } pem ? LoadBundle(pem) : null;
            var handler = new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                // Quay's session cookies belong to one sign-in (see QuayClient), never to the shared handler.
                UseCookies = false,
                // DNS changes and a proxy that restarts are picked up.
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                SslOptions = { RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Validate(cluster, bundle, certificate, chain, errors) },
            };
            if (cluster?.QuayProxy is { } proxy)
            {
                handler.Proxy = new WebProxy(proxy) { BypassProxyOnLocal = false };
                handler.UseProxy = true;
            }
            else
            {
                // Connected to directly: the guard resolves the name and connects only to an allowed address.
                handler.UseProxy = false;
                handler.ConnectCallback = guard.ConnectAsync;
            }

            return new Route(new HttpMessageInvoker(handler), cluster, guard, setting);
        }, catalog);

    private static bool Validate(ClusterOptions? cluster, X509Certificate2Collection? bundle, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (cluster is null)
        {
            return false;
        }

        if (cluster.InsecureSkipTlsVerify)
        {
            return true; // the explicit per-cluster opt-in, like curl -k
        }

        // A custom CA can only fix the chain; a wrong host name stays an error.
        return errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is X509Certificate2 leaf && bundle is not null
               && ChainsToBundle(leaf, chain, bundle);
    }

    /// <summary>Whether the certificate chains to one of the bundle's CAs (and only those), with the chain the server sent.</summary>
    public static bool ChainsToBundle(X509Certificate2 certificate, X509Chain? presented, X509Certificate2Collection roots)
    {
        if (roots.Count == 0)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(certificate);
    }

    /// <summary>The bundle is PEM text or, as the Helm chart mounts it, the path of a PEM file.</summary>
    public static X509Certificate2Collection LoadBundle(string bundle)
    {
        var pem = bundle.Contains("-----BEGIN", StringComparison.Ordinal) ? bundle : File.ReadAllText(bundle);
        var roots = new X509Certificate2Collection();
        roots.ImportFromPem(pem);
        return roots;
    }

    private sealed class PerCluster(QuayTransport transport) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var route = transport.For(request.Options.TryGetValue(QuayTarget.ClusterOption, out var name) ? name : null);
            if (route.Refusal(request.RequestUri!) is { } refusal)
            {
                // As the guard's own refusals arrive from a connection: an HttpRequestException holding the reason.
                throw new HttpRequestException(HttpRequestError.ConnectionError, refusal, new DestinationRefusedException(refusal));
            }

            return route.Invoker.SendAsync(request, cancellationToken);
        }
    }
}
