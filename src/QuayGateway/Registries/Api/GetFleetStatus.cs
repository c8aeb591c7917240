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

/// <summary><c>GET /v1/status</c>: the tenant's fleet: counts by state and health, and the registries that need attention.</summary>
public static class GetFleetStatus
{

    public static async Task<Ok<FleetStatusResponse>> HandleAsync(ClaimsPrincipal user, GatewayDb db, CancellationToken ct)
    {
        var live = db.OfTenant(user).AsNoTracking().Where(r => r.State != RegistryState.Deleted);
        var byState = await live.GroupBy(r => r.State).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var byHealth = await live.GroupBy(r => r.Health).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        var unhealthy = await live
            .Where(r => RegistryLifecycle.Troubled.Contains(r.State) || r.Health == RegistryHealth.Degraded || r.Health == RegistryHealth.Missing)
            .OrderBy(r => r.Name).Take(200).ToListAsync(ct);
        return TypedResults.Ok(new FleetStatusResponse(
            byState.Sum(s => s.Count),
            Enum.GetValues<RegistryState>().Where(s => s != RegistryState.Deleted)
                .ToDictionary(s => s.ToString(), s => byState.FirstOrDefault(x => x.Key == s)?.Count ?? 0),
            Enum.GetValues<RegistryHealth>().ToDictionary(h => h.ToString(), h => byHealth.FirstOrDefault(x => x.Key == h)?.Count ?? 0),
            unhealthy.Select(r => new UnhealthyRegistry(r.Id, r.Name, r.Namespace, r.Cluster, r.State, r.Health, r.HealthCauses)).ToList()));
    }
}
