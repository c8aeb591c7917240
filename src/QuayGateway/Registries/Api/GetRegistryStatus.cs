using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Registries.Api;

/// <summary>The rollout's timing: when it started, when it became available, and its deadline.</summary>
/// <param name="StartedAt">When the current rollout started.</param>
/// <param name="AvailableAt">When it became Available; null while it has not.</param>
/// <param name="DurationSeconds">Seconds from start to Available (or to now while it runs).</param>
/// <param name="Deadline">When the rollout fails if it is not Available by then (<c>Gateway:Rollout:Deadline</c>).</param>
public sealed record RolloutTiming(DateTimeOffset? StartedAt, DateTimeOffset? AvailableAt, double? DurationSeconds, DateTimeOffset? Deadline);

/// <summary>The aggregated status document of <c>GET /v1/registries/{id}/status</c>.</summary>
/// <param name="Id">The registry's id.</param>
/// <param name="State">Where the registry is in its lifecycle.</param>
/// <param name="Health">The registry's health.</param>
/// <param name="UnhealthyComponents">The components that are not ready, with the reason: from <c>Component*Ready</c> conditions, or copied from a 3.6-era operator's <c>unhealthyComponents</c>.</param>
/// <param name="RegistryEndpoint">The registry's URL; null until the operator reports it.</param>
/// <param name="CurrentVersion">The Quay version the operator reports.</param>
/// <param name="ConfigEditorEndpoint">The config editor's URL, where the operator reports one (3.6-era operators).</param>
/// <param name="Generation">The generation the gateway applied last.</param>
/// <param name="ObservedGeneration">The generation the operator last acted on.</param>
/// <param name="LastUpdated">When the operator last updated the status (<c>status.lastUpdated</c>, ISO 8601).</param>
/// <param name="Conditions">The QuayRegistry's own conditions, verbatim.</param>
/// <param name="GatewayConditions">The gateway's conditions about the registry (Applied, Available, Bootstrapped, ...).</param>
/// <param name="Rollout">The current rollout's timing and deadline.</param>
/// <param name="QuayCredentials">What the gateway holds to call the registry's Quay (never the secret); null when it holds nothing.</param>
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
    DateTimeOffset? LastUpdated,
    [property: DocumentedAs(typeof(IReadOnlyList<KubernetesCondition>))] JsonArray Conditions,
    IReadOnlyList<RegistryCondition> GatewayConditions,
    RolloutTiming Rollout,
    RegistryQuayAccess? QuayCredentials = null);

public static class GetRegistryStatus
{
    /// <summary>
    /// The operator writes <c>lastUpdated</c> in Go's default time format (<c>2021-09-14 10:52:05.371425635 +0000 UTC</c>);
    /// the gateway answers it in ISO 8601 like every other time. RFC 3339 passes through; anything else is null.
    /// </summary>
    public static DateTimeOffset? OperatorTime(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var go = System.Text.RegularExpressions.Regex.Match(text,
            @"^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(\.\d{1,9})? ([+-]\d{2})(\d{2})(?: [A-Za-z]+)?$");
        var iso = go.Success
            ? $"{go.Groups[1].Value}T{go.Groups[2].Value}{(go.Groups[3].Success ? go.Groups[3].Value[..Math.Min(8, go.Groups[3].Value.Length)] : "")}{go.Groups[4].Value}:{go.Groups[5].Value}"
            : text;
        return DateTimeOffset.TryParse(iso, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var at)
            ? at.ToUniversalTime()
            : null;
    }

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
            registry.ConfigEditorEndpoint, registry.Generation, registry.ObservedGeneration, OperatorTime((string?)status?["lastUpdated"]),
            // The operator's conditions, verbatim.
            status?["conditions"]?.DeepClone() as JsonArray ?? [],
            registry.Conditions,
            new RolloutTiming(registry.RolloutStartedAt, registry.AvailableAt,
                end - registry.RolloutStartedAt is { } duration ? Math.Round(duration.TotalSeconds, 3) : null, registry.RolloutDeadline),
            await quayAccess.ForAsync(registry.Id, ct)));
    }
}
