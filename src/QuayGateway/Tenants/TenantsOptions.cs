namespace QuayGateway.Tenants;

public sealed class TenantsOptions
{
    public const string Section = "Gateway:Tenants";

    /// <summary>
    /// The policy of a tenant that has none stored. Unset (outside Development), such a tenant may read but not write:
    /// its writes answer 403 <c>tenant-not-configured</c>. In Development it allows every cluster and namespace.
    /// </summary>
    public TenantPolicySettings? Default { get; set; }

    /// <summary>How long a replica keeps a tenant's policy before reading it again (another replica's change shows within this; zero reads it every time).</summary>
    public TimeSpan CacheFor { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>A policy as configuration holds it (<c>Gateway:Tenants:Default</c>).</summary>
public sealed class TenantPolicySettings
{
    public static TenantPolicySettings AllowEverything => new() { Clusters = ["*"], Namespaces = ["*"] };

    public List<string> Clusters { get; set; } = [];
    public List<string> Namespaces { get; set; } = [];
    public TenantQuotas? Quotas { get; set; }
    public TenantRateLimit? RateLimit { get; set; }

    public TenantPolicy For(string tenant) => new()
    {
        Tenant = tenant, Clusters = [.. Clusters], Namespaces = [.. Namespaces], Quotas = Quotas ?? new(), RateLimit = RateLimit,
        CreatedAt = DateTimeOffset.UnixEpoch, UpdatedAt = DateTimeOffset.UnixEpoch,
    };
}
