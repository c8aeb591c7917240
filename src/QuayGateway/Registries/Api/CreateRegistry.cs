using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using QuayGateway.Audit;
using QuayGateway.Clusters;
using QuayGateway.Hosting;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tenants;

namespace QuayGateway.Registries.Api;

/// <summary>
/// <c>POST /v1/registries</c>: validate, then persist the registry, its first timeline entry, the idempotency record,
/// the apply job (through the job outbox) and the audit entry in one transaction. The request and its job are durable before the 202.
/// </summary>
public static class CreateRegistry
{
    public const string IdempotencyHeader = "Idempotency-Key";

    public static readonly CreateRegistryRequest Example = new(
        // Not the README walk-through's name: trying the example in Swagger UI and then the walk-through must not collide.
        Name: "swagger-registry",
        Namespace: "quay-enterprise",
        Cluster: "sandbox",
        Components: [new("clair", false), new("horizontalpodautoscaler", false), new("mirror", false), new("monitoring", false)],
        ConfigBundle: new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n" },
        InitialUser: new("quayadmin", "quayadmin@example.com", "quaypass123"),
        Organizations: [new("testorg", "testorg@example.com")],
        Labels: new Dictionary<string, string> { ["team"] = "payments" },
        Ticket: new("jira", "OPS-123"));

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static async Task<Results<Accepted<RegistryResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        CreateRegistryRequest request,
        [FromHeader(Name = IdempotencyHeader)] string? idempotencyKey,
        ClaimsPrincipal user,
        GatewayDb db,
        ClusterCatalog clusters,
        IDataProtectionProvider dataProtection,
        NewRowsWriter writer,
        JobOutboxDispatcher dispatcher,
        TimelineAnnouncer timeline,
        TenantPolicies policies,
        IOptions<RolloutOptions> rollout,
        IOptions<IdempotencyOptions> idempotency,
        TimeProvider time,
        HttpContext http,
        CancellationToken ct)
    {
        var tenant = user.Tenant();
        if (idempotencyKey is { Length: 0 or > 255 })
        {
            return Problems.Validation(new Dictionary<string, string[]> { [IdempotencyHeader] = ["The key must be 1 to 255 characters."] });
        }

        var requestHash = idempotencyKey is null ? null : Hash(request);
        var remembersSince = time.GetUtcNow() - idempotency.Value.Window;
        if (idempotencyKey is not null && await ReplayAsync(db, http, tenant, idempotencyKey, requestHash!, remembersSince, ct) is { } replay)
        {
            return replay;
        }

        var errors = RegistryRequestValidator.Validate(request, clusters.Names);
        var cluster = request.Cluster ?? clusters.DefaultCluster;
        if (cluster is null)
        {
            errors.TryAdd("cluster", ["No cluster is configured (Gateway:Clusters)."]);
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (await policies.CheckPullSecretNamespacesAsync(db, tenant, cluster!, OrganizationResourceRules.PullSecretNamespaces(request.Organizations), ct) is { } pullSecretRefused)
        {
            return pullSecretRefused;
        }

        var secrets = RegistrySecrets.From(request);
        var registry = new Registry
        {
            Tenant = tenant,
            Cluster = cluster!,
            Namespace = request.Namespace,
            Name = request.Name,
            Spec = RegistrySpec.From(request),
            ProtectedSecrets = secrets.IsEmpty ? null : secrets.Protect(dataProtection),
        };
        // Set with the request, so a replica that dies before the first apply cannot lose it (the resync job sweeps).
        registry.RolloutDeadline = registry.CreatedAt + rollout.Value.Deadline;
        registry.SetCondition(ConditionTypes.Accepted, "True", "RequestAccepted", "The registry request is stored and queued for apply.", registry.CreatedAt);
        // Only new rows: one prepared statement, one round trip, committed whole or not at all.
        var rows = new NewRowBatch();
        rows.Add(registry);
        rows.MoveTo(registry, RegistryState.Accepted, "RequestAccepted", "Registry request accepted.", registry.CreatedAt);
        var response = RegistryResponse.From(registry);
        if (idempotencyKey is not null)
        {
            rows.Add(new IdempotencyRecord
            {
                Tenant = tenant, Key = idempotencyKey, RequestHash = requestHash!, RegistryId = registry.Id,
                ResponseBody = JsonSerializer.Serialize(response, Json),
            });
        }

        rows.EnqueueJob(RegistryJobs.Apply(registry.Id));
        // The create's audit entry is one of its rows: an accepted create and its entry commit together or not at all.
        var audit = AuditInTransaction.EntryFor(http, StatusCodes.Status202Accepted, RegistriesApi.Location(registry.Id));
        if (audit is not null)
        {
            rows.Add(audit);
        }

        // The tenant's policy admits the registry in the transaction of its insert, in one round trip (see AdmitAndInsertAsync).
        try
        {
            var (refused, version) = await policies.AdmitAndInsertAsync(db, writer, rows, tenant, cluster!, request.Namespace, ct);
            if (refused is not null)
            {
                return refused;
            }

            // The row's xmin, returned by the insert: the version a GET shows until the row changes.
            registry.Version = version;
            if (audit is not null)
            {
                AuditInTransaction.MarkCommitted(http, audit);
            }
        }
        catch (PostgresException unique) when (unique.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            // The unique index on cluster/namespace/name (live registries) is the duplicate check: no read before the
            // insert. An idempotency key raced by an identical request replays its answer.
            return unique.ConstraintName?.Contains("idempotency", StringComparison.Ordinal) == true
                   && await ReplayAsync(db, http, tenant, idempotencyKey!, requestHash!, remembersSince, ct) is { } raced
                ? raced
                : Duplicate(request, cluster!);
        }

        // Rows written without the change tracker: their writer signals what they hold.
        dispatcher.Wake();
        timeline.Announce();
        http.Response.Headers.ETag = registry.ETag;
        return TypedResults.Accepted(RegistriesApi.Location(registry.Id), response);
    }

    /// <summary>
    /// The first answer for this key, or a conflict when the key came with another request. A record past the window
    /// is forgotten here (the retention job purges the rest), so the key starts a new request.
    /// </summary>
    private static async Task<Results<Accepted<RegistryResponse>, ValidationProblem, ProblemHttpResult>?> ReplayAsync(
        GatewayDb db, HttpContext http, string tenant, string key, string requestHash, DateTimeOffset remembersSince, CancellationToken ct)
    {
        var record = await db.IdempotencyRecords.AsNoTracking().SingleOrDefaultAsync(r => r.Tenant == tenant && r.Key == key, ct);
        if (record is null)
        {
            return null;
        }

        if (record.CreatedAt < remembersSince)
        {
            await db.IdempotencyRecords.Where(r => r.Tenant == tenant && r.Key == key && r.CreatedAt < remembersSince).ExecuteDeleteAsync(ct);
            return null;
        }

        if (record.RequestHash == requestHash
            && await db.Registries.AsNoTracking().Where(r => r.Id == record.RegistryId).Select(r => (uint?)r.Version).SingleOrDefaultAsync(ct) is { } version)
        {
            // The first answer's body, with the registry's current version: the one If-Match needs now.
            http.Response.Headers.ETag = Registry.ETagOf(version);
        }

        return record.RequestHash != requestHash
            ? Problems.Conflict(ProblemTypes.IdempotencyKeyReused, "Idempotency key reused",
                $"The {IdempotencyHeader} '{key}' was already used with a different request body. Use a new key for a new request.")
            : TypedResults.Accepted(RegistriesApi.Location(record.RegistryId),
                JsonSerializer.Deserialize<RegistryResponse>(record.ResponseBody, Json)!);
    }

    // Only the tenant's own registry can be the duplicate (another tenant's namespace is refused before the insert),
    // and the answer names nothing the caller did not send.
    private static ProblemHttpResult Duplicate(CreateRegistryRequest request, string cluster) =>
        Problems.Conflict(ProblemTypes.AlreadyExists, "Registry already exists",
            $"A registry named '{request.Name}' already exists in namespace '{request.Namespace}' of cluster '{cluster}'.");

    /// <summary>
    /// The request without its secrets (the config bundle's contents, the initial user's password): a stored hash of
    /// a password could be guessed offline. Only the bundle's file names count, so a retry that differs only in a
    /// secret replays the first answer.
    /// </summary>
    private static string Hash(CreateRegistryRequest request)
    {
        var withoutSecrets = request with
        {
            ConfigBundle = request.ConfigBundle?.ToDictionary(f => f.Key, _ => ""),
            InitialUser = request.InitialUser is { } user ? user with { Password = "" } : null,
        };
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(withoutSecrets, Json))));
    }
}
