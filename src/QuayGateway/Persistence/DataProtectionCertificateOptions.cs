namespace QuayGateway.Persistence;

public sealed class DataProtectionCertificateOptions
{
    public const string Section = "Gateway:DataProtection";

    /// <summary>A PKCS#12 file (.pfx/.p12), or a PEM certificate when <see cref="CertificateKeyPath"/> is set.</summary>
    public string? CertificatePath { get; set; }
    public string? CertificatePassword { get; set; }

    /// <summary>The PEM private key beside a PEM certificate (a <c>kubernetes.io/tls</c> Secret's tls.key).</summary>
    public string? CertificateKeyPath { get; set; }

    /// <summary>
    /// Start without a certificate outside Development, the key ring unencrypted in PostgreSQL. Off by default: anyone
    /// who can read the database could then decrypt the Quay tokens and webhook credentials.
    /// </summary>
    public bool AllowUnprotectedKeys { get; set; }
}
