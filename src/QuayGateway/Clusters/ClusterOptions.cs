namespace QuayGateway.Clusters;

/// <summary>How to reach one target cluster (<c>Gateway:Clusters:&lt;name&gt;</c>): a kubeconfig (with context) or in-cluster config.</summary>
public sealed class ClusterOptions
{
    public string? Kubeconfig { get; set; }
    public string? Context { get; set; }
    public bool InCluster { get; set; }

    /// <summary>
    /// A sandbox cluster: dev services start it and fill in <see cref="Kubeconfig"/>, <see cref="QuayProxy"/> and
    /// <see cref="QuayCaBundle"/>. Here it only names the cluster's kind in the cluster list.
    /// </summary>
    public bool Sandbox { get; set; }

    /// <summary>PEM CA bundle (text, or the path of a PEM file) used for TLS to the Quay endpoints of this cluster.</summary>
    public string? QuayCaBundle { get; set; }

    /// <summary>Explicit opt-in to skip TLS verification towards Quay (what <c>curl -k</c> does by hand).</summary>
    public bool InsecureSkipTlsVerify { get; set; }

    /// <summary>
    /// An HTTP proxy (<c>http://host:port</c>) through which this cluster's Quay routes are reached, with <c>CONNECT</c>:
    /// an egress proxy, or a sandbox's own port.
    /// </summary>
    public string? QuayProxy { get; set; }

    /// <summary>
    /// The cluster's apps domain. A registry's route host is <c>&lt;name&gt;-quay-&lt;namespace&gt;.&lt;AppsDomain&gt;</c>;
    /// Quay calls go only there or to the <c>SERVER_HOSTNAME</c> the gateway applied. Unset: only the latter.
    /// </summary>
    public string? AppsDomain { get; set; }

    /// <summary>Explicit opt-in to call this cluster's Quay over plain http. Off: https only.</summary>
    public bool AllowInsecureQuay { get; set; }

    /// <summary>
    /// Host names or CIDR ranges (or addresses) of loopback, private or link-local destinations this cluster's Quay may
    /// be reached at. Everything else internal is refused, as for webhooks. Not consulted through a <see cref="QuayProxy"/>:
    /// the proxy resolves names, and is trusted configuration.
    /// </summary>
    public List<string> AllowedQuayDestinations { get; set; } = [];
}
