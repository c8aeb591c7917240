using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using QuayGateway.Clusters;

namespace QuayGateway.Quay;

/// <summary>
/// How a request reaches a registry's Quay, per cluster: TLS verified against the cluster's <c>QuayCaBundle</c> (or
/// skipped, only with <c>InsecureSkipTlsVerify</c>), and for an in-process sandbox, routing to its loopback port.
/// </summary>
public sealed class QuayTransport(ClusterCatalog catalog, ClusterConnections connections)
{
    private readonly ConcurrentDictionary<string, X509Certificate2Collection> _bundles = new(StringComparer.Ordinal);

    public HttpMessageHandler CreatePrimaryHandler() =>
        new HttpClientHandler { ServerCertificateCustomValidationCallback = ValidateCertificate, AllowAutoRedirect = false };

    public DelegatingHandler CreateSandboxRouting() => new SandboxRouting(connections);

    private bool ValidateCertificate(HttpRequestMessage request, X509Certificate2? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (!request.Options.TryGetValue(QuayTarget.ClusterOption, out var name) || !catalog.Clusters.TryGetValue(name, out var cluster))
        {
            return false;
        }

        if (cluster.InsecureSkipTlsVerify)
        {
            return true; // the explicit per-cluster opt-in, like the source document's curl -k
        }

        // A custom CA can only fix the chain; a wrong host name stays an error.
        return errors == SslPolicyErrors.RemoteCertificateChainErrors && certificate is not null && cluster.QuayCaBundle is { } bundle
               && ChainsToBundle(certificate, chain, _bundles.GetOrAdd(name, _ => LoadBundle(bundle)));
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

    /// <summary>
    /// A sandbox serves every registry's Quay on its API server's loopback port and tells them apart by Host, so the
    /// request keeps the registry's host name and goes to that port (see the sandbox README, "Quay API routing").
    /// </summary>
    private sealed class SandboxRouting(ClusterConnections connections) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Options.TryGetValue(QuayTarget.ClusterOption, out var name) && connections.Sandbox(name) is { } sandbox
                && request.RequestUri is { } uri && request.Headers.Host is null)
            {
                request.Headers.Host = uri.IsDefaultPort ? uri.Host : uri.Authority;
                request.RequestUri = new Uri(sandbox.ApiServerUrl, uri.PathAndQuery);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
