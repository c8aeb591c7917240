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
}
