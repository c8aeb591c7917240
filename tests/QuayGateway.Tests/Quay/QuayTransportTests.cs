using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using QuayGateway.Quay;

namespace QuayGateway.Tests.Quay;

/// <summary>TLS to Quay with a cluster's own CA bundle, as an OpenShift router's certificate is usually signed.</summary>
public sealed class QuayTransportTests
{
    private static (X509Certificate2 Ca, X509Certificate2 Leaf) Issue(string caName)
    {
        using var caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest($"CN={caName}", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));

        using var leafKey = RSA.Create(2048);
        var leafRequest = new CertificateRequest("CN=example-registry-quay-quay-enterprise.apps.example.com", leafKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("example-registry-quay-quay-enterprise.apps.example.com");
        leafRequest.CertificateExtensions.Add(san.Build());
        var leaf = leafRequest.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMonths(1), [1, 2, 3, 4]);
        return (ca, leaf);
    }

    [Fact]
    public void A_certificate_signed_by_the_bundles_CA_is_trusted()
    {
        var (ca, leaf) = Issue("Cluster Ingress CA");

        var roots = QuayTransport.LoadBundle(ca.ExportCertificatePem());

        Assert.True(QuayTransport.ChainsToBundle(leaf, null, roots));
    }

    [Fact]
    public void A_certificate_from_another_CA_is_not_trusted()
    {
        var (_, leaf) = Issue("Some Other CA");
        var (clusterCa, _) = Issue("Cluster Ingress CA");

        Assert.False(QuayTransport.ChainsToBundle(leaf, null, QuayTransport.LoadBundle(clusterCa.ExportCertificatePem())));
        Assert.False(QuayTransport.ChainsToBundle(leaf, null, []));
    }

    [Fact]
    public void The_bundle_can_be_a_file_path_as_the_chart_mounts_it()
    {
        var (ca, leaf) = Issue("Cluster Ingress CA");
        var (other, _) = Issue("Another CA");
        var path = Path.Combine(Path.GetTempPath(), $"quay-ca-{Guid.NewGuid():N}.crt");
        File.WriteAllText(path, other.ExportCertificatePem() + "\n" + ca.ExportCertificatePem());
        try
        {
            var roots = QuayTransport.LoadBundle(path);

            Assert.Equal(2, roots.Count);
            Assert.True(QuayTransport.ChainsToBundle(leaf, null, roots));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
