namespace QuayGateway.Tenants;

/// <summary>
/// What a tenant may do: the clusters and namespaces it may place registries in (exact names or <c>*</c> globs), its
/// quotas and its request rate. Stored per tenant by platform admins; a tenant without one gets
/// <c>Gateway:Tenants:Default</c>.
/// </summary>
public sealed class TenantPolicy
{
    public required string Tenant { get; init; }
    public string[] Clusters { get; set; } = [];
    public string[] Namespaces { get; set; } = [];
    public TenantQuotas Quotas { get; set; } = new();
    public TenantRateLimit? RateLimit { get; set; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;

    public bool AllowsCluster(string cluster) => Clusters.Any(p => NamePattern.Matches(p, cluster));

    public bool AllowsNamespace(string @namespace) => Namespaces.Any(p => NamePattern.Matches(p, @namespace));
}

/// <summary>Upper bounds on what a tenant holds at once; <c>null</c> means no bound.</summary>
public sealed record TenantQuotas
{
    /// <summary>Registries that are not Deleted.</summary>
    public int? Registries { get; init; }

    /// <summary>Webhook subscriptions.</summary>
    public int? Webhooks { get; init; }

    /// <summary>Open event streams (SSE) at once.</summary>
    public int? EventStreams { get; init; }
}

/// <summary>A token bucket: a steady rate and the burst it may save up.</summary>
public sealed record TenantRateLimit
{
    /// <summary>The steady rate, in requests per second.</summary>
    public int RequestsPerSecond { get; init; }

    /// <summary>How many requests may come at once beyond the steady rate.</summary>
    public int Burst { get; init; }
}
