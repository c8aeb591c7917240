using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Registries.Api;

/// <summary>The rollout's timing: when it started, when it became available, and its deadline.</summary>
public sealed record RolloutTiming(DateTimeOffset? StartedAt, DateTimeOffset? AvailableAt, double? DurationSeconds, DateTimeOffset? Deadline);

/// <summary>The aggregated status document of <c>GET /v1/registries/{id}/status</c>.</summary>
public sealed record RegistryStatusResponse(
    Guid Id,
    RegistryState State,
    RegistryHealth Health,
    IReadOnlyList<HealthCause> UnhealthyComponents,
    string? RegistryEndpoint,
    string? CurrentVersion,
    string? ConfigEditorEndpoint,
    long Generation,
    long? ObservedGeneration,
    string? LastUpdated,
    [property: DocumentedAs(typeof(IReadOnlyList<KubernetesCondition>))] JsonArray Conditions,
    IReadOnlyList<RegistryCondition> GatewayConditions,
    RolloutTiming Rollout,
    RegistryQuayAccess? QuayCredentials = null);

public static class GetRegistryStatus
{
    public static async Task<Results<Ok<RegistryStatusResponse>, ProblemHttpResult>> HandleAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, TimeProvider time, [Microsoft.AspNetCore.Mvc.FromServices] IRegistryQuayAccess quayAccess, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).AsNoTracking().FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var status = registry.ParseOperatorStatus();
        var end = registry.AvailableAt ?? (registry.RolloutStartedAt is null ? null : time.GetUtcNow());
        return TypedResults.Ok(new RegistryStatusResponse(
            registry.Id, registry.State, registry.Health, registry.HealthCauses, registry.RegistryEndpoint, registry.CurrentVersion,
            registry.ConfigEditorEndpoint, registry.Generation, registry.ObservedGeneration, (string?)status?["lastUpdated"],
            // The operator's conditions, verbatim.
            status?["conditions"]?.DeepClone() as JsonArray ?? [],
            registry.Conditions,
            new RolloutTiming(registry.RolloutStartedAt, registry.AvailableAt,
                end - registry.RolloutStartedAt is { } duration ? Math.Round(duration.TotalSeconds, 3) : null, registry.RolloutDeadline),
            await quayAccess.ForAsync(registry.Id, ct)));
    }
}
