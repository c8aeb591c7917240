using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QuayGateway.Clusters;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;

namespace QuayGateway.Tenants;

/// <summary>A tenant's policy as sent: where its registries may go, its quotas and its request rate.</summary>
/// <param name="Clusters">The clusters the tenant's registries may go to; <c>*</c> allows all.</param>
/// <param name="Namespaces">Namespace patterns the tenant's registries may use (<c>payments-*</c>); <c>*</c> allows all.</param>
/// <param name="Quotas">Upper bounds on what the tenant holds at once; none when left out.</param>
/// <param name="RateLimit">The tenant's request rate; the gateway's default when left out.</param>
public sealed record TenantPolicyRequest(
    IReadOnlyList<string>? Clusters,
    IReadOnlyList<string>? Namespaces,
    TenantQuotas? Quotas = null,
    TenantRateLimit? RateLimit = null);

/// <param name="Tenant">The tenant's name.</param>
/// <param name="Clusters">The clusters the tenant's registries may go to.</param>
/// <param name="Namespaces">Namespace patterns the tenant's registries may use.</param>
/// <param name="Quotas">Upper bounds on what the tenant holds at once.</param>
/// <param name="RateLimit">The tenant's request rate; null for the gateway's default.</param>
/// <param name="CreatedAt">When the policy was first set.</param>
/// <param name="UpdatedAt">When the policy last changed.</param>
public sealed record TenantPolicyResponse(
    string Tenant, IReadOnlyList<string> Clusters, IReadOnlyList<string> Namespaces, TenantQuotas Quotas, TenantRateLimit? RateLimit,
    DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt)
{
    public static TenantPolicyResponse From(TenantPolicy p) =>
        new(p.Tenant, p.Clusters, p.Namespaces, p.Quotas, p.RateLimit, p.CreatedAt, p.UpdatedAt);
}

/// <summary><c>/v1/tenants</c>: tenant policies, for platform admins.</summary>
public static class TenantsApi
{
    public static readonly TenantPolicyRequest Example = new(
        ["sandbox"], ["payments-*"], new TenantQuotas { Registries = 20, Webhooks = 10, EventStreams = 20 },
        new TenantRateLimit { RequestsPerSecond = 50, Burst = 100 });

    public static WebApplicationBuilder AddTenants(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<TenantsOptions>().BindConfiguration(TenantsOptions.Section);
        builder.DocumentExample(new TenantPolicyResponse(
            "payments", ["sandbox"], ["payments-*"], new TenantQuotas { Registries = 20, Webhooks = 10, EventStreams = 20 },
            new TenantRateLimit { RequestsPerSecond = 50, Burst = 100 },
            new DateTimeOffset(2026, 11, 20, 14, 2, 11, TimeSpan.Zero), new DateTimeOffset(2026, 12, 1, 8, 50, 37, TimeSpan.Zero)));
        // Development allows everything to a tenant without a policy; elsewhere that needs saying (Gateway:Tenants:Default).
        builder.Services.PostConfigure<TenantsOptions>(o => o.Default ??= builder.Environment.IsDevelopment() ? TenantPolicySettings.AllowEverything : null);
        builder.Services.AddMemoryCache();
        builder.Services.AddSingleton<TenantPolicies>();
        builder.Services.AddSingleton<EventStreamLeases>();
        builder.Services.AddHostedService(services => services.GetRequiredService<EventStreamLeases>()); // renews the open leases
        return builder;
    }

    public static IEndpointRouteBuilder MapTenants(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/tenants").WithTags("Tenants").RequireAuthorization(Scopes.PlatformAdmin);
        group.MapPut("/{tenant}", PutAsync)
            .WithName("PutTenantPolicy")
            .WithSummary("Set a tenant's policy")
            .WithDescription("Creates or replaces the tenant's policy: the clusters and namespaces (names, or patterns with *) its registries may use, " +
                             "its quotas (registries that are not Deleted, webhooks, event streams; omitted means no limit) and its request rate.")
            .WithRequestExample(Example);
        group.MapGet("/", ListAsync)
            .WithName("ListTenantPolicies")
            .WithSummary("List tenant policies")
            .WithDescription("Every stored policy, by tenant. Tenants without one get Gateway:Tenants:Default.");
        group.MapGet("/{tenant}", GetAsync)
            .WithName("GetTenantPolicy")
            .WithSummary("Get a tenant's policy")
            .WithDescription("The tenant's stored policy; 404 when it has none (it then gets Gateway:Tenants:Default).");
        group.MapDelete("/{tenant}", DeleteAsync)
            .WithName("DeleteTenantPolicy")
            .WithSummary("Delete a tenant's policy")
            .WithDescription("Removes the policy. Refused with 409 tenant-has-registries while the tenant has registries that are not Deleted.")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemTypes.TenantHasRegistries);
        return app;
    }

    private static async Task<Results<Ok<TenantPolicyResponse>, Created<TenantPolicyResponse>, ValidationProblem>> PutAsync(
        string tenant, TenantPolicyRequest request, GatewayDb db, ClusterCatalog clusters, TenantPolicies policies, TimeProvider time, CancellationToken ct)
    {
        if (Validate(tenant, request, clusters.Names) is { Count: > 0 } errors)
        {
            return Problems.Validation(errors);
        }

        var now = time.GetUtcNow();
        var policy = await db.TenantPolicies.SingleOrDefaultAsync(p => p.Tenant == tenant, ct);
        var created = policy is null;
        policy ??= db.TenantPolicies.Add(new TenantPolicy { Tenant = tenant, CreatedAt = now }).Entity;
        policy.Clusters = [.. request.Clusters!.Distinct()];
        policy.Namespaces = [.. request.Namespaces!.Distinct()];
        policy.Quotas = request.Quotas ?? new();
        policy.RateLimit = request.RateLimit;
        policy.UpdatedAt = now;
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException e) when ((created && e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation })
                                          || (!created && e is DbUpdateConcurrencyException))
        {
            // A concurrent PUT created the policy first, or a concurrent DELETE removed the one read: this PUT goes after
            // it, replacing or creating the policy.
            db.ChangeTracker.Clear();
            return await PutAsync(tenant, request, db, clusters, policies, time, ct);
        }

        policies.Forget(tenant);
        var response = TenantPolicyResponse.From(policy);
        return created ? TypedResults.Created($"/v1/tenants/{tenant}", response) : TypedResults.Ok(response);
    }

    private static async Task<Ok<List<TenantPolicyResponse>>> ListAsync(GatewayDb db, CancellationToken ct)
    {
        var all = await db.TenantPolicies.AsNoTracking().OrderBy(p => p.Tenant).ToListAsync(ct);
        return TypedResults.Ok(all.Select(TenantPolicyResponse.From).ToList());
    }

    private static async Task<Results<Ok<TenantPolicyResponse>, ProblemHttpResult>> GetAsync(string tenant, GatewayDb db, CancellationToken ct) =>
        await db.TenantPolicies.AsNoTracking().SingleOrDefaultAsync(p => p.Tenant == tenant, ct) is { } policy
            ? TypedResults.Ok(TenantPolicyResponse.From(policy))
            : Problems.NotFound($"The policy of tenant '{tenant}'");

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string tenant, GatewayDb db, TenantPolicies policies, CancellationToken ct)
    {
        var live = await db.Registries.CountAsync(r => r.Tenant == tenant && r.State != RegistryState.Deleted, ct);
        if (live > 0)
        {
            return Problems.Conflict(ProblemTypes.TenantHasRegistries, "Tenant has registries",
                $"Tenant '{tenant}' has {live} registries that are not Deleted; delete them before its policy.");
        }

        var deleted = await db.TenantPolicies.Where(p => p.Tenant == tenant).ExecuteDeleteAsync(ct) > 0;
        policies.Forget(tenant);
        return deleted ? TypedResults.NoContent() : Problems.NotFound($"The policy of tenant '{tenant}'");
    }

    private static Dictionary<string, string[]> Validate(string tenant, TenantPolicyRequest request, IReadOnlyCollection<string> clusterNames)
    {
        var errors = new Dictionary<string, string[]>();
        if (!Scopes.IsValidTenant(tenant))
        {
            errors["tenant"] = [$"'{tenant}' is not a valid tenant name (a DNS-1123 label)."];
        }

        if (request.Clusters is null)
        {
            errors["clusters"] = ["Give the clusters the tenant may use: names, or * for all."];
        }
        else if (request.Clusters.FirstOrDefault(c => c is null || !NamePattern.IsValid(c) || (!c.Contains('*', StringComparison.Ordinal) && !clusterNames.Contains(c))) is { } bad)
        {
            errors["clusters"] = [$"'{bad}' is not a configured cluster ({string.Join(", ", clusterNames)}) or a pattern with *."];
        }

        if (request.Namespaces is null)
        {
            errors["namespaces"] = ["Give the namespaces the tenant may use: names, or patterns such as payments-*."];
        }
        else if (request.Namespaces.FirstOrDefault(n => n is null || !NamePattern.IsValid(n)) is { } bad)
        {
            errors["namespaces"] = [$"'{bad}' is not a namespace name or pattern (a DNS-1123 label in which * stands for any characters)."];
        }

        if (request.Quotas is { } q)
        {
            foreach (var (name, value) in new[] { ("registries", q.Registries), ("webhooks", q.Webhooks), ("eventStreams", q.EventStreams) })
            {
                if (value is < 0)
                {
                    errors[$"quotas.{name}"] = ["A quota is 0 or more; leave it out for no limit."];
                }
            }
        }

        if (request.RateLimit is { } r)
        {
            if (r.RequestsPerSecond < 1)
            {
                errors["rateLimit.requestsPerSecond"] = ["Give 1 or more requests per second; leave rateLimit out for the default."];
            }

            if (r.Burst < r.RequestsPerSecond)
            {
                errors["rateLimit.burst"] = ["The burst is at least requestsPerSecond."];
            }
        }

        return errors;
    }
}
