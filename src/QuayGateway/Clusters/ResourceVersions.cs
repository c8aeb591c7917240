namespace QuayGateway.Clusters;

/// <summary>
/// Orders Kubernetes resource versions. They are etcd revisions: decimal integers that grow with every write in the
/// cluster, which Kubernetes now documents as comparable (KEP-5504). Anything else is treated as not comparable.
/// </summary>
public static class ResourceVersions
{
    /// <summary>Whether <paramref name="candidate"/> is known to be older than <paramref name="seen"/>.</summary>
    public static bool IsOlder(string? candidate, string? seen) =>
        ulong.TryParse(candidate, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var c)
        && ulong.TryParse(seen, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var s)
        && c < s;
}
