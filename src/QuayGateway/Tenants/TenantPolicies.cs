using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using QuayGateway.Hosting;
using QuayGateway.Persistence;

namespace QuayGateway.Tenants;

/// <summary>
/// Reads a tenant's policy (stored, else <c>Gateway:Tenants:Default</c>) and applies it to writes: where a registry may
/// go, whose namespace it is, and how many the tenant may hold.
/// </summary>
public sealed class TenantPolicies(IServiceScopeFactory scopes, IOptionsMonitor<TenantsOptions> options, IMemoryCache cache)
{
    /// <summary>
    /// The policy in force for <paramref name="tenant"/>, or <c>null</c> when it has none and no default is configured.
    /// Kept for <see cref="TenantsOptions.CacheFor"/>, so rate limits and quotas cost no read per request.
    /// </summary>
    public async Task<TenantPolicy?> ForTenantAsync(string tenant, CancellationToken ct)
    {
        if (!cache.TryGetValue(Key(tenant), out TenantPolicy? stored))
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDb>();
            stored = await db.TenantPolicies.AsNoTracking().SingleOrDefaultAsync(p => p.Tenant == tenant, ct);
            if (options.CurrentValue.CacheFor > TimeSpan.Zero)
            {
                cache.Set(Key(tenant), stored, options.CurrentValue.CacheFor);
            }
        }

        return stored ?? options.CurrentValue.Default?.For(tenant);
    }

    /// <summary>Drops this replica's copy after a change (others see it within <see cref="TenantsOptions.CacheFor"/>).</summary>
    internal void Forget(string tenant) => cache.Remove(Key(tenant));

    /// <summary>
    /// Admits a new registry of <paramref name="tenant"/> at <paramref name="cluster"/>/<paramref name="namespace"/> and
    /// runs <paramref name="insert"/> in the same transaction, or answers why not (nothing is written then). The checks
    /// run under PostgreSQL transaction advisory locks held until the commit, so two creates cannot both take the last
    /// quota slot, nor two tenants both claim one namespace.
    /// </summary>
    public async Task<ProblemHttpResult?> AdmitAndInsertAsync(
        GatewayDb db, string tenant, string cluster, string @namespace, Func<CancellationToken, Task> insert, CancellationToken ct)
    {
        var policy = await ForTenantAsync(tenant, ct);
        if (CheckPlacement(policy, tenant, cluster, @namespace) is { } refused)
        {
            return refused;
        }

        var quota = policy!.Quotas.Registries;
        // Most creates go to a namespace the tenant already holds: they take its lock shared and do not wait for each
        // other. A claim (the tenant's first live registry there) takes it exclusively, so it waits for and excludes
        // every create in flight in that namespace; it is found under the shared lock and tried again, in a new
        // transaction, since a shared lock cannot be raised without risking a deadlock with another claimer.
        foreach (var claim in (bool[])[false, true])
        {
            await using var transaction = await db.Database.BeginTransactionAsync(ct);
            var (foreign, own, count) = await LockAndCheckAsync(db, tenant, cluster, @namespace, quota is not null, claim, ct);
            if (foreign)
            {
                return ForeignNamespace(cluster, @namespace);
            }

            if (count >= quota)
            {
                return QuotaExceeded("registries", quota.Value, "registries that are not Deleted");
            }

            if (own || claim)
            {
                await insert(ct);
                await transaction.CommitAsync(ct);
                return null;
            }
        }

        throw new InvalidOperationException("Unreachable: the claim pass always inserts or refuses.");
    }

    /// <summary>
    /// One round trip: the locks (under a quota the tenant's first, then the namespace's: one order, no deadlock) in a
    /// statement of their own, then the checks, which take their snapshot once the locks are held and so see what an
    /// earlier holder committed.
    /// </summary>
    private static async Task<(bool Foreign, bool Own, long Count)> LockAndCheckAsync(
        GatewayDb db, string tenant, string cluster, string @namespace, bool counted, bool claim, CancellationToken ct)
    {
        var namespaceLock = claim ? "pg_advisory_xact_lock(hashtextextended($1, 0))" : "pg_advisory_xact_lock_shared(hashtextextended($1, 0))";
        var locks = new NpgsqlBatchCommand(counted
            ? $"SELECT pg_advisory_xact_lock(hashtextextended($2, 0)), {namespaceLock}"
            : $"SELECT {namespaceLock}")
        {
            Parameters = { new() { Value = $"namespace:{cluster}/{@namespace}" } },
        };
        if (counted)
        {
            locks.Parameters.Add(new() { Value = $"tenant-registries:{tenant}" });
        }

        await using var batch = new NpgsqlBatch((NpgsqlConnection)db.Database.GetDbConnection())
        {
            BatchCommands =
            {
                locks,
                new NpgsqlBatchCommand(
                    """
                    SELECT EXISTS (SELECT 1 FROM gateway.registries WHERE cluster = $1 AND namespace = $2 AND tenant < $3 AND state <> 'Deleted')
                           OR EXISTS (SELECT 1 FROM gateway.registries WHERE cluster = $1 AND namespace = $2 AND tenant > $3 AND state <> 'Deleted'),
                           EXISTS (SELECT 1 FROM gateway.registries WHERE cluster = $1 AND namespace = $2 AND tenant = $3 AND state <> 'Deleted'),
                           CASE WHEN $4 THEN (SELECT count(*) FROM gateway.registries WHERE tenant = $3 AND state <> 'Deleted') ELSE 0 END
                    """)
                {
                    Parameters = { new() { Value = cluster }, new() { Value = @namespace }, new() { Value = tenant }, new() { Value = counted } },
                },
            },
        };
        await using var reader = await batch.ExecuteReaderAsync(ct);
        await reader.NextResultAsync(ct);
        await reader.ReadAsync(ct);
        return (reader.GetBoolean(0), reader.GetBoolean(1), reader.GetInt64(2));
    }

    /// <summary>
    /// Whether an existing registry of <paramref name="tenant"/> may still be changed where it is (a PATCH): its cluster
    /// and namespace must be within the policy, and the namespace must not hold another tenant's registry.
    /// </summary>
    public async Task<ProblemHttpResult?> CheckExistingPlacementAsync(GatewayDb db, string tenant, string cluster, string @namespace, CancellationToken ct)
    {
        if (CheckPlacement(await ForTenantAsync(tenant, ct), tenant, cluster, @namespace) is { } refused)
        {
            return refused;
        }

        var foreign = await db.Database
            .SqlQuery<bool>($"SELECT EXISTS (SELECT 1 FROM gateway.registries WHERE cluster = {cluster} AND namespace = {@namespace} AND tenant <> {tenant} AND state <> 'Deleted') AS \"Value\"")
            .SingleAsync(ct);
        return foreign ? ForeignNamespace(cluster, @namespace) : null;
    }

    /// <summary>
    /// Robots' pull secrets go only where the tenant's registries may: namespaces its policy allows and no other tenant's
    /// registry holds. The first refused one, as a 403 naming its field (<paramref name="secrets"/> gives the fields).
    /// </summary>
    public async Task<ProblemHttpResult?> CheckPullSecretNamespacesAsync(
        GatewayDb db, string tenant, string cluster, IEnumerable<(string Field, string Namespace)> secrets, CancellationToken ct)
    {
        foreach (var (field, ns) in secrets.DistinctBy(s => s.Namespace, StringComparer.Ordinal))
        {
            if (await CheckExistingPlacementAsync(db, tenant, cluster, ns, ct) is { ProblemDetails: var refused })
            {
                return Problems.Forbidden(refused.Type!, refused.Title!,
                    $"The pull secrets of a robot go only into namespaces the tenant may use; '{ns}' is not one: {refused.Detail}",
                    new Dictionary<string, object?> { ["field"] = field, ["namespace"] = ns });
            }
        }

        return null;
    }

    /// <summary>
    /// Admits a new webhook subscription of <paramref name="tenant"/>, or answers why not. Run it in the create's
    /// transaction: under a quota it holds the tenant's webhook count until the commit.
    /// </summary>
    public async Task<ProblemHttpResult?> AdmitWebhookAsync(GatewayDb db, string tenant, CancellationToken ct)
    {
        var policy = await ForTenantAsync(tenant, ct);
        if (policy is null)
        {
            return NotConfigured(tenant);
        }

        if (policy.Quotas.Webhooks is not { } quota)
        {
            return null;
        }

        await db.Database.ExecuteSqlAsync($"SELECT pg_advisory_xact_lock(hashtextextended({"tenant-webhooks:" + tenant}, 0))", ct);
        var count = await db.Database
            .SqlQuery<long>($"SELECT count(*) AS \"Value\" FROM gateway.webhook_subscriptions WHERE tenant = {tenant}")
            .SingleAsync(ct);
        return count >= quota ? QuotaExceeded("webhooks", quota, "webhook subscriptions") : null;
    }

    /// <summary>The pure part: is there a policy, and does it allow this cluster and namespace.</summary>
    public static ProblemHttpResult? CheckPlacement(TenantPolicy? policy, string tenant, string cluster, string @namespace)
    {
        if (policy is null)
        {
            return NotConfigured(tenant);
        }

        if (!policy.AllowsCluster(cluster))
        {
            return Problems.Forbidden(ProblemTypes.ClusterNotAllowed, "Cluster not allowed",
                $"Tenant '{tenant}' may not place registries in cluster '{cluster}'. Its policy allows: {List(policy.Clusters)}.");
        }

        return policy.AllowsNamespace(@namespace)
            ? null
            : Problems.Forbidden(ProblemTypes.NamespaceNotAllowed, "Namespace not allowed",
                $"Tenant '{tenant}' may not place registries in namespace '{@namespace}'. Its policy allows: {List(policy.Namespaces)}.");
    }

    private static ProblemHttpResult NotConfigured(string tenant) =>
        Problems.Forbidden(ProblemTypes.TenantNotConfigured, "Tenant not configured",
            $"Tenant '{tenant}' has no policy and no default policy is configured; a platform admin sets one with PUT /v1/tenants/{tenant}.");

    // Says only that the namespace is taken: not by whom, nor which registry.
    private static ProblemHttpResult ForeignNamespace(string cluster, string @namespace) =>
        Problems.Forbidden(ProblemTypes.NamespaceNotAllowed, "Namespace not allowed",
            $"Namespace '{@namespace}' of cluster '{cluster}' belongs to another tenant.");

    internal static ProblemHttpResult QuotaExceeded(string quota, int limit, string what) =>
        Problems.Forbidden(ProblemTypes.QuotaExceeded, "Quota exceeded",
            $"The '{quota}' quota allows {limit} {what}; delete one or ask a platform admin for more.",
            new Dictionary<string, object?> { ["quota"] = quota, ["limit"] = limit });

    private static string List(string[] patterns) => patterns.Length == 0 ? "nothing" : string.Join(", ", patterns);

    private static (string, string) Key(string tenant) => ("tenant-policy", tenant);
}
