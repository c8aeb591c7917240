using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Options;
using QuayGateway.Persistence;

namespace QuayGateway.Tests.Persistence;

/// <summary>
/// <c>Gateway:DataProtection:CertificatePath</c> encrypts the key ring at rest, and a second process with the same
/// certificate reads it back (as the chart's replicas do). Uses a file repository in place of PostgreSQL.
/// </summary>
public sealed class DataProtectionCertificateTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("qg-dp-");

    [Fact]
    public void A_pkcs12_certificate_encrypts_the_key_ring_and_another_instance_reads_it()
    {
        var pfx = Path.Combine(_dir.FullName, "certificate.pfx");
        File.WriteAllBytes(pfx, NewCertificate().Export(X509ContentType.Pfx, "pfx-password"));
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:DataProtection:CertificatePath"] = pfx,
            ["Gateway:DataProtection:CertificatePassword"] = "pfx-password",
        };

        var token = Protector(settings).Protect("quay-oauth-token");

        var keyFile = Directory.GetFiles(Path.Combine(_dir.FullName, "keys"), "*.xml").Single();
        var xml = File.ReadAllText(keyFile);
        Assert.Contains("EncryptedKey", xml, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", xml, StringComparison.Ordinal);
        Assert.Equal("quay-oauth-token", Protector(settings).Unprotect(token));
    }

    [Fact]
    public void A_pem_certificate_and_key_work_too()
    {
        var certificate = NewCertificate();
        var certPath = Path.Combine(_dir.FullName, "tls.crt");
        var keyPath = Path.Combine(_dir.FullName, "tls.key");
        File.WriteAllText(certPath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, certificate.GetRSAPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var settings = new Dictionary<string, string?>
        {
            ["Gateway:DataProtection:CertificatePath"] = certPath,
            ["Gateway:DataProtection:CertificateKeyPath"] = keyPath,
        };

        var token = Protector(settings).Protect("quay-oauth-token");

        Assert.Contains("EncryptedKey", File.ReadAllText(Directory.GetFiles(Path.Combine(_dir.FullName, "keys"), "*.xml").Single()), StringComparison.Ordinal);
        Assert.Equal("quay-oauth-token", Protector(settings).Unprotect(token));
    }

    [Fact]
    public void Without_a_certificate_nothing_changes_and_a_missing_file_fails_fast()
    {
        Protector([]).Protect("x");
        Assert.Contains("<masterKey", File.ReadAllText(Directory.GetFiles(Path.Combine(_dir.FullName, "keys"), "*.xml").Single()), StringComparison.Ordinal);

        var missing = new Dictionary<string, string?> { ["Gateway:DataProtection:CertificatePath"] = "/nonexistent/certificate.pfx" };
        var error = Assert.Throws<InvalidOperationException>(() => Protector(missing));
        Assert.Contains("CertificatePath", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Production")]
    [InlineData("Testing")]
    public void Outside_development_an_unprotected_key_ring_refuses_to_start_naming_the_setting(string environment)
    {
        var error = Assert.Throws<OptionsValidationException>(() => ValidateStartup([], environment));
        Assert.Contains("Gateway:DataProtection:AllowUnprotectedKeys=true", error.Message, StringComparison.Ordinal);
        Assert.Contains("Gateway:DataProtection:CertificatePath", error.Message, StringComparison.Ordinal);

        Assert.Throws<OptionsValidationException>(() => ValidateStartup(new() { ["Gateway:DataProtection:AllowUnprotectedKeys"] = "false" }, environment));
    }

    [Theory]
    [InlineData("Development", null, null)]
    [InlineData("Production", "true", null)]
    [InlineData("Production", null, "/etc/quay-gateway/data-protection/certificate.pfx")]
    public void A_certificate_an_explicit_allowance_or_development_starts(string environment, string? allow, string? certificatePath) =>
        ValidateStartup(new()
        {
            ["Gateway:DataProtection:AllowUnprotectedKeys"] = allow,
            ["Gateway:DataProtection:CertificatePath"] = certificatePath,
        }, environment);

    public void Dispose() => _dir.Delete(recursive: true);

    private IDataProtector Protector(Dictionary<string, string?> settings)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddDataProtection()
            .SetApplicationName("quay-gateway")
            .PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(_dir.FullName, "keys")))
            .ProtectKeysWithConfiguredCertificate(configuration);
        return services.BuildServiceProvider().GetRequiredService<IDataProtectionProvider>().CreateProtector("test");
    }

    private static void ValidateStartup(Dictionary<string, string?> settings, string environment)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        services.RequireProtectedKeyRing(new HostingEnvironment { EnvironmentName = environment });
        services.BuildServiceProvider().GetRequiredService<IStartupValidator>().Validate();
    }

    private static X509Certificate2 NewCertificate()
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=quay-gateway-data-protection", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
    }
}
