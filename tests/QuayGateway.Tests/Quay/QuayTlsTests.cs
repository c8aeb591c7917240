using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Clusters;
using QuayGateway.DevServices;
using QuayGateway.Hosting;
using QuayGateway.Quay;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Quay;

/// <summary>
/// Real TLS handshakes against an HTTPS "Quay" signed by a private CA, through the gateway's Quay transport, with
/// per-cluster settings: the cluster's CA bundle, no bundle, and the explicit insecure opt-in.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class QuayTlsTests(GatewayFixture gateway) : IAsyncLifetime
{
    private readonly X509Certificate2 _ca = CreateCa();
    private WebApplication? _quay;
    private WebApplication? _wrongName;

    public async Task InitializeAsync()
    {
        _quay = await StartHttpsAsync(Issue(_ca, ip: IPAddress.Loopback));
        _wrongName = await StartHttpsAsync(Issue(_ca, dns: "some-other-registry.apps.example.com"));
    }

    public async Task DisposeAsync()
    {
        await _quay!.DisposeAsync();
        await _wrongName!.DisposeAsync();
    }

    /// <summary>
    /// A transport over clusters configured by <paramref name="settings"/>. The test servers listen on loopback, which a
    /// cluster's Quay may only be at when its AllowedQuayDestinations say so: each cluster here allows it, unless
    /// the overload below is told <c>allowLoopback: false</c>.
    /// </summary>
    private static HttpClient ClientFor(params (string Key, string Value)[] settings) => ClientFor(true, settings);

    private static HttpClient ClientFor(bool allowLoopback, params (string Key, string Value)[] settings)
    {
        var allowed = allowLoopback
            ? settings.Select(s => s.Key[..s.Key.IndexOf(':')]).Distinct().Select(c => (Key: $"{c}:AllowedQuayDestinations", Value: "127.0.0.0/8"))
            : [];
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Concat(allowed).Select(s => new KeyValuePair<string, string?>($"{ClusterCatalog.Section}:{s.Key}", s.Value)))
            .Build();
        var catalog = new ClusterCatalog(configuration);
        var transport = new QuayTransport(catalog);
        return new HttpClient(transport.CreatePrimaryHandler());
    }

    private static Task<HttpResponseMessage> GetAsync(HttpClient client, WebApplication server, string cluster)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(server.Services.GetRequiredService<IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.Single()), "/health/instance"));
        request.Options.Set(QuayTarget.ClusterOption, cluster);
        return client.SendAsync(request);
    }

    [Fact]
    public async Task A_clusters_Quay_routes_are_reached_through_its_proxy_and_only_there()
    {
        // The test host's sandbox is such a proxy: its port answers CONNECT for the Quay routes it serves, and no other.
        var sandbox = gateway.Host.Services.GetRequiredService<DevSandboxes>().Get("sandbox");
        using var client = ClientFor(("p:kubeconfig", "/dev/null"), ("p:QuayProxy", sandbox.QuayProxyUrl.ToString()),
            ("p:QuayCaBundle", sandbox.QuayCaPem), ("direct:kubeconfig", "/dev/null"));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Request("https://not-served.apps.sandbox.quaygateway.local/health/instance", "p")));
        var unresolved = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Request("https://not-served.apps.sandbox.quaygateway.local/health/instance", "direct")));

        Assert.Equal(HttpRequestError.ProxyTunnelError, refused.HttpRequestError); // the proxy was asked, and said no
        Assert.Equal(HttpRequestError.NameResolutionError, unresolved.HttpRequestError); // without it the name means nothing
    }

    [Fact]
    public async Task A_loopback_Quay_is_refused_unless_the_cluster_allows_it()
    {
        using var guarded = ClientFor(false, ("east:kubeconfig", "/dev/null"), ("east:QuayCaBundle", _ca.ExportCertificatePem()));
        using var allowed = ClientFor(("east:kubeconfig", "/dev/null"), ("east:QuayCaBundle", _ca.ExportCertificatePem()));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(guarded, _quay!, "east"));
        using var response = await GetAsync(allowed, _quay!, "east");

        Assert.IsType<DestinationRefusedException>(refused.InnerException);
        Assert.Contains("Gateway:Clusters:east:AllowedQuayDestinations", refused.InnerException!.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Plain_http_is_refused_unless_the_cluster_allows_it()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
        await using var plain = builder.Build();
        plain.MapGet("/health/instance", () => Results.Ok(new { status_code = 200 }));
        await plain.StartAsync();
        using var httpsOnly = ClientFor(("east:kubeconfig", "/dev/null"));
        using var insecure = ClientFor(("lab:kubeconfig", "/dev/null"), ("lab:AllowInsecureQuay", "true"));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(httpsOnly, plain, "east"));
        using var response = await GetAsync(insecure, plain, "lab");

        Assert.IsType<DestinationRefusedException>(refused.InnerException);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Through_the_proxy_an_internal_address_as_the_CONNECT_target_is_refused()
    {
        var sandbox = gateway.Host.Services.GetRequiredService<DevSandboxes>().Get("sandbox");
        using var client = ClientFor(false, ("p:kubeconfig", "/dev/null"), ("p:QuayProxy", sandbox.QuayProxyUrl.ToString()),
            ("p:QuayCaBundle", sandbox.QuayCaPem));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.SendAsync(Request("https://10.0.0.1/health/instance", "p")));

        Assert.IsType<DestinationRefusedException>(refused.InnerException); // never reached the proxy
    }

    private static HttpRequestMessage Request(string url, string cluster)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Options.Set(QuayTarget.ClusterOption, cluster);
        return request;
    }

    [Fact]
    public async Task The_clusters_CA_bundle_makes_its_Quay_trusted()
    {
        using var client = ClientFor(("east:kubeconfig", "/dev/null"), ("east:QuayCaBundle", _ca.ExportCertificatePem()));

        using var response = await GetAsync(client, _quay!, "east");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Without_the_bundle_the_handshake_fails_and_another_clusters_bundle_does_not_help()
    {
        using var client = ClientFor(("east:kubeconfig", "/dev/null"), ("east:QuayCaBundle", _ca.ExportCertificatePem()),
            ("west:kubeconfig", "/dev/null"));

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(client, _quay!, "west"));

        Assert.Equal(HttpRequestError.SecureConnectionError, failure.HttpRequestError);
    }

    [Fact]
    public async Task A_certificate_for_another_host_is_refused_even_from_the_trusted_CA()
    {
        using var client = ClientFor(("east:kubeconfig", "/dev/null"), ("east:QuayCaBundle", _ca.ExportCertificatePem()));

        var failure = await Assert.ThrowsAsync<HttpRequestException>(() => GetAsync(client, _wrongName!, "east"));

        Assert.Equal(HttpRequestError.SecureConnectionError, failure.HttpRequestError);
    }

    [Fact]
    public async Task InsecureSkipTlsVerify_is_an_explicit_per_cluster_opt_in()
    {
        using var client = ClientFor(("lab:kubeconfig", "/dev/null"), ("lab:InsecureSkipTlsVerify", "true"));

        using var response = await GetAsync(client, _wrongName!, "lab");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private static async Task<WebApplication> StartHttpsAsync(X509Certificate2 certificate)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(certificate)));
        var app = builder.Build();
        app.MapGet("/health/instance", () => Results.Ok(new { status_code = 200 }));
        await app.StartAsync();
        return app;
    }

    private static X509Certificate2 CreateCa()
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=Cluster Ingress CA", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, IPAddress? ip = null, string? dns = null)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest("CN=quay", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        if (ip is not null)
        {
            san.AddIpAddress(ip);
        }

        if (dns is not null)
        {
            san.AddDnsName(dns);
        }

        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var issued = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddMonths(1), RandomNumberGenerator.GetBytes(8));
        using var withKey = issued.CopyWithPrivateKey(key);
        // Kestrel on Linux wants a key it can use for the handshake: round-trip through PKCS#12.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }
}
