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
    /// inserts <paramref name="rows"/> in the same transaction, or answers why not (nothing is written then). The checks
    /// run under PostgreSQL transaction advisory locks held until the commit, so two creates cannot both take the last
    /// quota slot, nor two tenants both claim one namespace. The locks, the checks, the insert and the commit are one
    /// round trip (<see cref="NewRowsWriter.InsertIfAsync{TCheck}"/>); a claim takes a second one.
    /// </summary>
    /// <returns>Why not, or the inserted rows' <c>xmin</c> (the new registry's version).</returns>
    /// <exception cref="PostgresException">A constraint refused a row (a duplicate); nothing was written.</exception>
    public async Task<(ProblemHttpResult? Refused, uint Version)> AdmitAndInsertAsync(
        GatewayDb db, NewRowsWriter writer, NewRowBatch rows, string tenant, string cluster, string @namespace, CancellationToken ct)
    {
        var policy = await ForTenantAsync(tenant, ct);
        if (CheckPlacement(policy, tenant, cluster, @namespace) is { } refused)
        {
            return (refused, 0);
        }

        var quota = policy!.Quotas.Registries;
        // Most creates go to a namespace the tenant already holds: they take its lock shared and do not wait for each
        // other. A claim (the tenant's first live registry there) takes it exclusively, so it waits for and excludes
        // every create in flight in that namespace; it is found under the shared lock (the guarded insert then inserts
        // nothing and its implicit transaction ends, releasing the lock) and tried again, in a new transaction, since a
        // shared lock cannot be raised without risking a deadlock with another claimer.
        foreach (var claim in (bool[])[false, true])
        {
            var ((foreign, _, count), version) = await InsertIfAsync(db, writer, rows, Guard(tenant, cluster, @namespace, quota, claim), ct);
            if (version is { } inserted)
            {
                return (null, inserted);
            }

            if (foreign)
            {
                return (ForeignNamespace(cluster, @namespace), 0);
            }

            if (count >= quota)
            {
                return (QuotaExceeded("registries", quota.Value, "registries that are not Deleted"), 0);
            }
        }

        throw new InvalidOperationException("Unreachable: the claim pass always inserts or refuses.");
    }

    /// <summary>
    /// The guarded insert, tried again when PostgreSQL broke a deadlock by refusing it (nothing of it was written). A group
    /// of creates (see <see cref="InsertGuard.GroupKey"/>) can deadlock with a claim when both insert the same unique key,
    /// such as one idempotency key sent twice at once.
    /// </summary>
    private static async Task<((bool Foreign, bool Own, long Count) Check, uint? Version)> InsertIfAsync(
        GatewayDb db, NewRowsWriter writer, NewRowBatch rows, InsertGuard guard, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await writer.InsertIfAsync(db, rows, guard, ReadCheck, ct);
            }
            catch (PostgresException deadlock) when (deadlock.SqlState == PostgresErrorCodes.DeadlockDetected && attempt < 3)
            {
            }
        }
    }

    /// <summary>
    /// The create's guard. First the locks (under a quota the tenant's first, then the namespace's: one order, no
    /// deadlock) in a statement of their own; then the checks, in the insert's statement, which takes its snapshot
    /// once the locks are held: each statement of a READ COMMITTED transaction gets a new snapshot, so the checks see
    /// what an earlier holder of the lock committed. They admit the rows when the namespace holds no other tenant's
    /// live registry, the quota (if any) has room, and the namespace is the tenant's already or this is the claim.
    /// Both namespace checks come from the namespace's lowest and highest tenant (<see cref="LowestTenant"/>): none is
    /// free, both the tenant's is its own, anything else is another tenant's. Without a quota the count is not in the
    /// statement at all, so it is not even set up (a generic plan initialises every subquery it holds, run or not).
    /// <c>OFFSET 0</c> keeps the two probes a subquery of their own: flattened, each would run once per column that names it.
    /// </summary>
    private static InsertGuard Guard(string tenant, string cluster, string @namespace, int? quota, bool claim)
    {
        var counted = quota is not null;
        var sql = GuardSqls[(counted ? 2 : 0) + (claim ? 1 : 0)];
        return new InsertGuard(
            sql.Before,
            counted ? [$"namespace:{cluster}/{@namespace}", $"tenant-registries:{tenant}"] : [$"namespace:{cluster}/{@namespace}"],
            sql.Check,
            [cluster, @namespace, tenant, counted, claim, quota ?? 0],
            // One tenant's creates may share a transaction: each takes the tenant's lock (taken again, it is held already)
            // before its namespace's shared lock, so no order of them deadlocks with another. A claim goes alone.
            GroupKey: claim ? null : tenant,
            sql.GroupBefore,
            sql.GroupCheck);
    }

    /// <summary>The guard's SQL for each shape (without and with a quota, each without and with a claim), made once.</summary>
    private static readonly GuardSql[] GuardSqls = [GuardSqlFor(false, false), GuardSqlFor(false, true), GuardSqlFor(true, false), GuardSqlFor(true, true)];

    private sealed record GuardSql(string Before, string Check, string? GroupBefore, string? GroupCheck);

    private static GuardSql GuardSqlFor(bool counted, bool claim)
    {
        var namespaceLock = claim ? "pg_advisory_xact_lock(hashtextextended($1, 0))" : "pg_advisory_xact_lock_shared(hashtextextended($1, 0))";
        return new GuardSql(
            Before: counted ? $"SELECT {IndexedPlan}, pg_advisory_xact_lock(hashtextextended($2, 0)), {namespaceLock}" : $"SELECT {IndexedPlan}, {namespaceLock}",
            Check: $"""
            SELECT NOT c.is_foreign AND (c.is_own OR $5) AND (NOT $4 OR c.live < $6) AS admit, c.is_foreign, c.is_own, c.live
            FROM {NamespaceAndCount("$1", "$2", "$3", counted)} c
            """,
            // The same locks for a whole group, in the same order: the tenants' (one, by the group key) before any
            // namespace's, which the LATERAL makes sure of (the namespaces' locks are taken from rows of the join).
            // A claim is never grouped.
            GroupBefore: claim ? null : counted
                ? $"""
                  SELECT {IndexedPlan}, count(pg_advisory_xact_lock_shared(hashtextextended(n.key, 0)))
                  FROM (SELECT count(pg_advisory_xact_lock(hashtextextended(t.key, 0))) AS locked
                        FROM (SELECT DISTINCT unnest($2::text[]) AS key ORDER BY key) t) tenants,
                       LATERAL (SELECT key FROM unnest($1::text[]) AS key WHERE tenants.locked >= 0) n
                  """
                : $"SELECT {IndexedPlan}, (SELECT count(pg_advisory_xact_lock_shared(hashtextextended(key, 0))) FROM unnest($1::text[]) AS key)",
            // The same check for a group, on one snapshot: a member's count adds the members before it whose namespace
            // check passed (those that the quota then admits, up to the quota: past it, none is admitted anyway), which
            // is what it would have counted as rows, each check seeing the rows of those before it.
            GroupCheck: claim ? null : $"""
            SELECT ns_ok AND (NOT v4 OR live + earlier < v6) AS admit, is_foreign, is_own, live + earlier AS live, ord
            FROM (SELECT x.*, count(*) FILTER (WHERE ns_ok) OVER (PARTITION BY v3 ORDER BY ord ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS earlier
                  FROM (SELECT m.v3, m.v4, m.v6, m.ord, c.is_foreign, c.is_own, c.live, NOT c.is_foreign AND (c.is_own OR m.v5) AS ns_ok
                        FROM members m, LATERAL {NamespaceAndCount("m.v1", "m.v2", "m.v3", counted)} c) x) y
            """);
    }

    /// <summary>
    /// The check's facts about a namespace and a tenant (arguments: SQL for them): <c>is_foreign</c>, <c>is_own</c> and,
    /// when <paramref name="counted"/>, <c>live</c>, the tenant's registries that are not Deleted (else 0). Both namespace
    /// facts come from the namespace's lowest and highest tenant (<see cref="LowestTenant"/>).
    /// </summary>
    private static string NamespaceAndCount(string cluster, string @namespace, string tenant, bool counted)
    {
        var live = counted ? $"(SELECT count(*) FROM gateway.registries WHERE tenant = {tenant} AND state <> 'Deleted')" : "0::bigint";
        return $"""
            (SELECT COALESCE(n.lowest <> {tenant} OR n.highest <> {tenant}, false) AS is_foreign,
                    COALESCE(n.lowest = {tenant} AND n.highest = {tenant}, false) AS is_own, n.live
             FROM (SELECT {LowestTenant(cluster, @namespace)} AS lowest, {HighestTenant(cluster, @namespace)} AS highest, {live} AS live OFFSET 0) n)
            """;
    }

    /// <summary>
    /// Settings for the rest of the create's transaction (its next statement): the prepared statement's one generic
    /// plan, made without sequential scans. The checks are lookups by the leading columns of
    /// <c>ix_registries_cluster_namespace_tenant</c>, but a namespace that holds most rows (one large tenant, or the
    /// benchmark's) makes the planner expect a third of the table to match a range of tenants, so a sequential scan
    /// "finds one at once"; when none matches, the usual case, it read the whole table on every create (measured:
    /// the create's statement grew with the table, 750 µs at 15,000 rows and 153 ms at 100,000). The foreign-tenant
    /// check no longer asks for a range (<see cref="ForeignTenantHolds"/>); these settings keep the others index
    /// lookups too. Without the generic plan, PostgreSQL would plan the five-insert statement anew on every call.
    /// </summary>
    private const string IndexedPlan = "set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true)";

    /// <summary>
    /// SQL that is true when a live registry of another tenant than <paramref name="tenant"/> is in the namespace (the
    /// arguments are the statement's parameter markers). It reads the namespace's lowest and highest tenant from
    /// <c>ix_registries_cluster_namespace_tenant</c>, in index order: two probes whatever the plan and however many
    /// registries the namespace holds. <c>tenant &lt;&gt; $3</c> read every entry of the namespace, and, as a generic
    /// plan, <c>tenant &lt; $3</c> was a sequential scan of the table (measured at 100,000 registries in one
    /// namespace: 10–21 ms per check, against 0.06 ms).
    /// </summary>
    private static string ForeignTenantHolds(string cluster, string @namespace, string tenant) =>
        $"COALESCE({LowestTenant(cluster, @namespace)} <> {tenant} OR {HighestTenant(cluster, @namespace)} <> {tenant}, false)";

    /// <summary>The namespace's lowest tenant with a live registry (null when none): one probe of <c>ix_registries_cluster_namespace_tenant</c>.</summary>
    private static string LowestTenant(string cluster, string @namespace) =>
        $"(SELECT r.tenant FROM gateway.registries r WHERE r.cluster = {cluster} AND r.namespace = {@namespace} AND r.state <> 'Deleted' ORDER BY r.tenant LIMIT 1)";

    /// <summary>The same, highest.</summary>
    private static string HighestTenant(string cluster, string @namespace) =>
        $"(SELECT r.tenant FROM gateway.registries r WHERE r.cluster = {cluster} AND r.namespace = {@namespace} AND r.state <> 'Deleted' ORDER BY r.tenant DESC LIMIT 1)";

    // EF makes its {0}-{2} parameters (cluster, namespace, tenant).
    private static readonly string ForeignTenantCheck = $"SELECT {ForeignTenantHolds("{0}", "{1}", "{2}")} AS \"Value\"";

    private static (bool Foreign, bool Own, long Count) ReadCheck(NpgsqlDataReader reader) =>
        (reader.GetBoolean(1), reader.GetBoolean(2), reader.GetInt64(3));

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
            .SqlQueryRaw<bool>(ForeignTenantCheck, cluster, @namespace, tenant)
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
