namespace QuayGateway.Quay;

/// <summary>How the gateway talks to Quay (<c>Gateway:Quay:*</c>).</summary>
public sealed class QuayOptions
{
    public const string Section = "Gateway:Quay";

    /// <summary>How long one call to Quay may take. A user/initialize that runs out has an unknown outcome.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of idempotent reads (GET) on transient errors; writes are never retried.</summary>
    public int ReadRetries { get; set; } = 2;
}
