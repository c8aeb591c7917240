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
