namespace QuayGateway.Rollout;

public sealed class WatchOptions
{
    public const string Section = "Gateway:Watch";

    /// <summary>How often a replica that is not watching a cluster tries to take over (well under 30 s).</summary>
    public TimeSpan LeaderRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Parallel workers applying events; one registry is never processed by two at once.</summary>
    public int Workers { get; set; } = 8;

    /// <summary>
    /// How long a registry's pod, job and HPA changes are gathered before they are written: a rollout changes several
    /// pods at once, and one write for the burst keeps the database (and the registry's status events) unhindered.
    /// </summary>
    public TimeSpan WorkloadBatchInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How this replica names itself as a cluster's watcher (<c>/v1/clusters</c> shows it): host and process id.</summary>
    public string ReplicaName { get; set; } = $"{Environment.MachineName}:{Environment.ProcessId}";
}
