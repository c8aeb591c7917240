using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace QuayGateway.Sandbox.QuayTls;

/// <summary>
/// The sandbox's own CA, made fresh at every start (or kept in the state folder), and
/// the leaf certificates it issues: the API server's (<see cref="ApiServerCertificate"/>) and those of the Quay hosts
/// the sandbox serves. A state folder keeps it through <see cref="FromPem"/> and <see cref="PrivateKeyPem"/>. Clients trust it through <see cref="CertificatePem"/> (the kubeconfig's
/// <c>certificate-authority-data</c>, and the file next to the kubeconfig).
/// </summary>
internal sealed class SandboxCertificateAuthority : IDisposable
{
    // Backdated so a client whose clock runs a little behind still accepts a certificate made just now.
    private static readonly TimeSpan Backdate = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan CaLifetime = TimeSpan.FromDays(3650);
    private static readonly TimeSpan LeafLifetime = TimeSpan.FromDays(365);

    private readonly X509Certificate2 _ca;
    private readonly ConcurrentDictionary<string, Lazy<X509Certificate2>> _leaves = new(StringComparer.OrdinalIgnoreCase);

    private readonly Lazy<X509Certificate2> _apiServer;

    private SandboxCertificateAuthority(X509Certificate2 ca)
    {
        _ca = ca;
        CertificatePem = ca.ExportCertificatePem() + "\n";
        _apiServer = new Lazy<X509Certificate2>(() => Issue("localhost", [IPAddress.Loopback, IPAddress.IPv6Loopback]));
    }

    /// <summary>The CA certificate (no key), PEM-encoded.</summary>
    public string CertificatePem { get; }

    /// <summary>A CA kept earlier: its certificate and its PKCS#8 private key, both PEM.</summary>
    public static SandboxCertificateAuthority FromPem(string certificatePem, string privateKeyPem)
    {
        using var kept = X509Certificate2.CreateFromPem(certificatePem, privateKeyPem);
        // Re-imported so the key is usable for signing on every platform (an ephemeral PEM key is not, on Windows).
        return new SandboxCertificateAuthority(X509CertificateLoader.LoadPkcs12(kept.Export(X509ContentType.Pkcs12), null));
    }

    /// <summary>The CA's private key, PKCS#8 PEM, to keep it (owner-only) for the next start.</summary>
    public string PrivateKeyPem()
    {
        using var key = _ca.GetECDsaPrivateKey()!;
        return key.ExportPkcs8PrivateKeyPem() + "\n";
    }

    /// <summary>
    /// The API server's certificate (with its key): SAN IP 127.0.0.1 and ::1, DNS localhost, like a real cluster's
    /// serving certificate for the addresses in its kubeconfig. Issued on first use and kept.
    /// </summary>
    public X509Certificate2 ApiServerCertificate() => _apiServer.Value;

    public static SandboxCertificateAuthority Create(string clusterName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN=QuayGateway sandbox CA ({clusterName}), O=QuayGateway sandbox", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        var now = DateTimeOffset.UtcNow;
        return new SandboxCertificateAuthority(request.CreateSelfSigned(now - Backdate, now + CaLifetime));
    }

    /// <summary>The server certificate (with its key) for <paramref name="host"/>, issued on first use and kept.</summary>
    public X509Certificate2 ServerCertificate(string host) =>
        _leaves.GetOrAdd(host, h => new Lazy<X509Certificate2>(() => Issue(h, []))).Value;

    private X509Certificate2 Issue(string host, IPAddress[] addresses)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={host}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(host);
        foreach (var address in addresses)
        {
            names.AddIpAddress(address);
        }

        request.CertificateExtensions.Add(names.Build(critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var now = DateTimeOffset.UtcNow;
        var notAfter = now + LeafLifetime < _ca.NotAfter ? now + LeafLifetime : new DateTimeOffset(_ca.NotAfter);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var issued = request.Create(_ca, now - Backdate, notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }

    public void Dispose()
    {
        if (_apiServer.IsValueCreated) _apiServer.Value.Dispose();
        foreach (var leaf in _leaves.Values.Where(l => l.IsValueCreated))
        {
            leaf.Value.Dispose();
        }

        _ca.Dispose();
    }
}
