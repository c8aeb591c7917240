namespace QuayGateway.Sandbox;

/// <summary>How to start a <see cref="SandboxCluster"/>.</summary>
public sealed record SandboxOptions
{
    /// <summary>Name of the cluster, context and user in the kubeconfig.</summary>
    public string Name { get; init; } = "sandbox";

    /// <summary>"current" (Component*Ready conditions, observedGeneration) or "3.6" (the source document's status shape).</summary>
    public string Profile { get; init; } = "current";

    /// <summary>
    /// The Quay release the simulated Quay plays (for example 3.9, 3.12 or 3.18): what <c>status.currentVersion</c>
    /// reports and which token endpoints it serves. Null follows the profile (3.16.2 for <c>current</c>, 3.6.0 for <c>3.6</c>).
    /// </summary>
    public string? QuayVersion { get; init; }

    /// <summary>Length of each simulated rollout phase.</summary>
    public TimeSpan PhaseDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Port on 127.0.0.1; 0 picks a free one.</summary>
    public int Port { get; init; }

    /// <summary>When set, the kubeconfig is written there at start.</summary>
    public string? KubeconfigPath { get; init; }

    /// <summary>The cluster's apps domain: routes are <c>&lt;name&gt;-quay-&lt;namespace&gt;.&lt;AppsDomain&gt;</c>.</summary>
    public string AppsDomain { get; init; } = "apps.sandbox.quaygateway.local";

    /// <summary>
    /// Whether the simulated Quay Operator (and Quay API) run. Off, the sandbox is a bare API server: protocol
    /// tests use that so no controller writes behind their back.
    /// </summary>
    public bool SimulateOperator { get; init; } = true;

    /// <summary>How many events a watch can resume over; older resourceVersions answer 410 Gone.</summary>
    public int WatchHistoryLimit { get; init; } = 10_000;

    /// <summary>How often a watch with <c>allowWatchBookmarks=true</c> gets a BOOKMARK.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Serve the Kubernetes API over plain HTTP instead of HTTPS. Off by default: like every real API server the
    /// sandbox speaks HTTPS with a certificate from its own CA, which the kubeconfig carries as
    /// <c>certificate-authority-data</c>. Only for clients that cannot be given a CA.
    /// </summary>
    public bool PlainHttp { get; init; }

    /// <summary>
    /// A folder that keeps the object store, each Quay's data, the clock and the CA across restarts (see
    /// <see cref="SandboxState"/>); null keeps everything in memory, gone with the process.
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>
    /// A rendered RBAC manifest for the gateway (the chart's ClusterRole, e.g. from <c>helm template</c>): when set,
    /// the sandbox creates the service account identity <c>system:serviceaccount:quay-gateway:quay-gateway</c>, binds
    /// every ClusterRole of the manifest to it, and the kubeconfig gets a user and context <c>&lt;Name&gt;-gateway</c>
    /// with its token (<see cref="SandboxCluster.GatewayContext"/>).
    /// </summary>
    public string? GatewayRoleManifest { get; init; }

    /// <summary>
    /// Whether a request without credentials acts as the admin. Null (the default) follows <see cref="PlainHttp"/>:
    /// over HTTPS no credentials are <c>system:anonymous</c>, as on a real cluster (kubectl sends the kubeconfig's
    /// bearer token); over plain HTTP they are the admin, because kubectl sends no bearer token to a plain-HTTP server,
    /// so the admin kubeconfig works there only this way (other users go through <c>kubectl --as</c>: impersonation
    /// headers are sent). Clients that send a token are who their token says.
    /// </summary>
    public bool? AnonymousIsAdmin { get; init; }

    /// <summary><see cref="AnonymousIsAdmin"/> as it applies: given, or plain HTTP only.</summary>
    internal bool AnonymousActsAsAdmin => AnonymousIsAdmin ?? PlainHttp;
}
