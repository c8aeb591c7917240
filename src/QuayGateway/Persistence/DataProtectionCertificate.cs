using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.DataProtection;

namespace QuayGateway.Persistence;

/// <summary>
/// Encrypts the Data Protection key ring at rest with a certificate. The keys live in PostgreSQL; without this, anyone
/// who can read the table can decrypt the Quay tokens and secrets the gateway keeps. Every replica mounts the same
/// certificate, so each can read the keys the others wrote.
/// </summary>
public static class DataProtectionCertificate
{
    public static IDataProtectionBuilder ProtectKeysWithConfiguredCertificate(this IDataProtectionBuilder builder, IConfiguration configuration)
    {
        var options = configuration.GetSection(DataProtectionCertificateOptions.Section).Get<DataProtectionCertificateOptions>();
        if (string.IsNullOrWhiteSpace(options?.CertificatePath))
        {
            return builder;
        }

        var certificate = Load(options);
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidOperationException(
                $"{DataProtectionCertificateOptions.Section}:CertificatePath '{options.CertificatePath}' has no private key; the key ring could not be read back.");
        }

        return builder.ProtectKeysWithCertificate(certificate);
    }

    /// <summary>
    /// Outside Development the gateway refuses to start (<c>ValidateOnStart</c>, so the <c>migrate</c> command is not
    /// affected) with a key ring that would sit unencrypted beside the secrets it protects, unless
    /// <c>AllowUnprotectedKeys</c> accepts that explicitly.
    /// </summary>
    public static IServiceCollection RequireProtectedKeyRing(this IServiceCollection services, IHostEnvironment environment)
    {
        services.AddOptions<DataProtectionCertificateOptions>()
            .BindConfiguration(DataProtectionCertificateOptions.Section)
            .Validate(o => !string.IsNullOrWhiteSpace(o.CertificatePath) || o.AllowUnprotectedKeys || environment.IsDevelopment(),
                "The Data Protection key ring would be stored unencrypted in the database beside the secrets it protects. " +
                $"Set {DataProtectionCertificateOptions.Section}:CertificatePath to a certificate that encrypts it (chart: " +
                $"dataProtection.certificate.existingSecret), or set {DataProtectionCertificateOptions.Section}:AllowUnprotectedKeys=true " +
                $"to accept unencrypted keys explicitly (environment '{environment.EnvironmentName}'; only Development allows them by default).")
            .ValidateOnStart();
        return services;
    }

    private static X509Certificate2 Load(DataProtectionCertificateOptions options)
    {
        if (!File.Exists(options.CertificatePath))
        {
            throw new InvalidOperationException($"{DataProtectionCertificateOptions.Section}:CertificatePath '{options.CertificatePath}' does not exist.");
        }

        return string.IsNullOrWhiteSpace(options.CertificateKeyPath)
            ? X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword)
            : X509Certificate2.CreateFromPemFile(options.CertificatePath!, options.CertificateKeyPath);
    }
}
