namespace QuayGateway.Clusters;

/// <summary>
/// The configured clusters, by name (<c>Gateway:Clusters:&lt;name&gt;</c>), and which is the default. Read on first
/// use rather than when made: a cluster's settings may be completed while the host starts (dev services configure
/// the sandboxes they start), and nothing asks for a cluster before the clusters connect.
/// </summary>
public sealed class ClusterCatalog(IConfiguration configuration)
{
    public const string Section = "Gateway:Clusters";

    private readonly Lazy<(Dictionary<string, ClusterOptions> Clusters, string? Default)> _read = new(() => Read(configuration));

    public IReadOnlyDictionary<string, ClusterOptions> Clusters => _read.Value.Clusters;

    /// <summary><c>Gateway:DefaultCluster</c>, else the first cluster by name.</summary>
    public string? DefaultCluster => _read.Value.Default;

    public IReadOnlyCollection<string> Names => _read.Value.Clusters.Keys;

    private static (Dictionary<string, ClusterOptions>, string?) Read(IConfiguration configuration)
    {
        var section = configuration.GetSection(Section);
        var clusters = section.Get<Dictionary<string, ClusterOptions>>() ?? [];
        foreach (var (name, cluster) in clusters)
        {
            // One string ("10.0.0.0/8,quay.internal") as well as a list, as an environment variable gives it.
            if (section[$"{name}:{nameof(ClusterOptions.AllowedQuayDestinations)}"] is { Length: > 0 } single)
            {
                cluster.AllowedQuayDestinations = [single];
            }
        }

        return (clusters, configuration["Gateway:DefaultCluster"] ?? clusters.Keys.Order(StringComparer.Ordinal).FirstOrDefault());
    }
}
