namespace QuayGateway.DevServices;

/// <summary>
/// Settings of the in-process sandbox clusters (<c>Gateway:Sandbox:*</c>); a cluster's own <c>profile</c> and
/// <c>phaseDelay</c> (<c>Gateway:Clusters:&lt;name&gt;:*</c>) override the first two.
/// </summary>
public sealed class SandboxSettings
{
    public const string Section = "Gateway:Sandbox";

    /// <summary><c>current</c> (the default) or <c>3.6</c>.</summary>
    public string Profile { get; set; } = "current";

    /// <summary>The Quay release the sandbox's Quay plays (3.9, 3.12, 3.18, …); unset follows the profile.</summary>
    public string? QuayVersion { get; set; }

    /// <summary>Length of each simulated rollout phase.</summary>
    public TimeSpan PhaseDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Where the sandbox writes its kubeconfig (and, beside it, the CA of its Quay routes as <c>&lt;path&gt;.quay-ca.pem</c>),
    /// so a person can run kubectl and curl against it. Unset: a folder of this process's own under the temp folder.
    /// </summary>
    public string? KubeconfigPath { get; set; }

    /// <summary>
    /// Where the sandboxes keep their objects, Quay data, clock and CA across restarts: one subfolder per sandbox
    /// cluster, named after it. Unset: nothing is kept (Development sets it under the checkout's dev data folder).
    /// </summary>
    public string? StateDir { get; set; }

    /// <summary>
    /// A rendered RBAC manifest (e.g. <c>helm template … -s templates/clusterrole.yaml</c>) the gateway's service
    /// account is bound to in each sandbox. Unset: the chart's own ClusterRole (embedded in the sandbox at build).
    /// Either way the gateway reaches each sandbox as that service account, not as the cluster admin.
    /// </summary>
    public string? GatewayRoleManifest { get; set; }
}
