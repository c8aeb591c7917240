namespace QuayGateway.Clusters;

/// <summary>
/// The configured clusters, by name (<c>Gateway:Clusters:&lt;name&gt;</c>), and which is the default. Read on first
/// use rather than when made: a cluster's settings may be completed while the host starts (dev services configure
/// the sandboxes they start), and nothing asks for a cluster before the clusters connect.
/// </summary>
public sealed class ClusterCatalog(IConfiguration configuration)
{
    public const string Section = "Gateway:Clusters";

    private readonly Lazy<Dictionary<string, ClusterOptions>> _clusters =
        new(() => configuration.GetSection(Section).Get<Dictionary<string, ClusterOptions>>() ?? []);

    public IReadOnlyDictionary<string, ClusterOptions> Clusters => _clusters.Value;

    public string? DefaultCluster => configuration["Gateway:DefaultCluster"] ?? _clusters.Value.Keys.Order(StringComparer.Ordinal).FirstOrDefault();

    public IReadOnlyCollection<string> Names => _clusters.Value.Keys;
}
