using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Registries.Api;

/// <param name="Id">The registry's id.</param>
/// <param name="Name">The QuayRegistry's name.</param>
/// <param name="Namespace">The registry's namespace.</param>
/// <param name="Cluster">The registry's cluster.</param>
/// <param name="State">The registry's state.</param>
/// <param name="Health">The registry's health.</param>
/// <param name="Causes">Why it needs attention, per component.</param>
public sealed record UnhealthyRegistry(Guid Id, string Name, string Namespace, string Cluster, RegistryState State, RegistryHealth Health, IReadOnlyList<HealthCause> Causes);

/// <param name="Total">The number of registries that are not Deleted.</param>
/// <param name="ByState">Per state name (Accepted, ..., Deleting), how many registries are in it; every state is listed, with 0 when none.</param>
/// <param name="ByHealth">Per health name (Healthy, Progressing, Degraded, Unknown, Missing), how many registries have it.</param>
/// <param name="Unhealthy">The registries that need attention (Blocked, Degraded, Failed, or health Degraded or Missing), by name, at most 200.</param>
public sealed record FleetStatusResponse(int Total, IReadOnlyDictionary<string, int> ByState, IReadOnlyDictionary<string, int> ByHealth, IReadOnlyList<UnhealthyRegistry> Unhealthy);

/// <summary>A count of registries in one state with one health.</summary>
public sealed record StateHealthCount(RegistryState State, RegistryHealth Health, int Count);

/// <summary><c>GET /v1/status</c>: the tenant's fleet: counts by state and health, and the registries that need attention.</summary>
public static class GetFleetStatus
{
    /// <summary>The states <c>byState</c> counts, each always present: every state but Deleted.</summary>
    public static readonly IReadOnlyList<RegistryState> CountedStates = [.. Enum.GetValues<RegistryState>().Where(s => s != RegistryState.Deleted)];

    /// <summary>The health values <c>byHealth</c> counts, each always present.</summary>
    public static readonly IReadOnlyList<RegistryHealth> CountedHealth = Enum.GetValues<RegistryHealth>();

    public static async Task<Ok<FleetStatusResponse>> HandleAsync(ClaimsPrincipal user, GatewayDb db, CancellationToken ct)
    {
        var counts = await Counts(db.OfTenant(user)).ToListAsync(ct);
        var unhealthy = await NeedingAttention(db.OfTenant(user)).ToListAsync(ct);
        return TypedResults.Ok(new FleetStatusResponse(
            counts.Sum(c => c.Count),
            CountedStates.ToDictionary(s => s.ToString(), s => counts.Where(c => c.State == s).Sum(c => c.Count)),
            CountedHealth.ToDictionary(h => h.ToString(), h => counts.Where(c => c.Health == h).Sum(c => c.Count)),
            unhealthy));
    }

    /// <summary>
    /// How many of the registries are in each (state, health), Deleted left out: one pass over the index
    /// (tenant, state, health) alone (an index-only scan; RegistryConfiguration). Exact, as of the request.
    /// </summary>
    public static IQueryable<StateHealthCount> Counts(IQueryable<Registry> registries) =>
        registries.AsNoTracking().Where(r => r.State != RegistryState.Deleted)
            .GroupBy(r => new { r.State, r.Health })
            .Select(g => new StateHealthCount(g.Key.State, g.Key.Health, g.Count()));

    /// <summary>
    /// The first 200 by name that need attention, only the columns the answer shows. The condition is the filter of the
    /// partial index ix_registries_tenant_name_needs_attention, word for word in SQL, so the query reads that index in
    /// name order instead of sorting every such row (ListAndStatusPlanTests checks the plan).
    /// </summary>
    public static IQueryable<UnhealthyRegistry> NeedingAttention(IQueryable<Registry> registries) =>
        registries.AsNoTracking().Where(r => r.State != RegistryState.Deleted)
            .Where(r => RegistryLifecycle.Troubled.Contains(r.State) || r.Health == RegistryHealth.Degraded || r.Health == RegistryHealth.Missing)
            .OrderBy(r => r.Name).Take(200)
            .Select(r => new UnhealthyRegistry(r.Id, r.Name, r.Namespace, r.Cluster, r.State, r.Health, r.HealthCauses));
}
