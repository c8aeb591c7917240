namespace QuayGateway.Quay;

/// <summary>How the gateway talks to Quay (<c>Gateway:Quay:*</c>).</summary>
public sealed class QuayOptions
{
    public const string Section = "Gateway:Quay";

    /// <summary>How long one call to Quay may take. A user/initialize that runs out has an unknown outcome.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of idempotent reads (GET) on transient errors; writes are never retried.</summary>
    public int ReadRetries { get; set; } = 2;

    /// <summary>The organization the bootstrap creates in each Quay to hold the gateway's OAuth application.</summary>
    public string AutomationOrganization { get; set; } = "quaygateway";

    /// <summary>
    /// Keep the initial user's password (encrypted) after the bootstrap, so a token Quay refuses can be minted again.
    /// Off by default: the password is erased once the durable token is stored.
    /// </summary>
    public bool KeepBootstrapPassword { get; set; }
}
