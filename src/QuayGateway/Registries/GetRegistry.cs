using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Security;

namespace QuayGateway.Registries;

/// <summary><c>GET /v1/registries/{id}</c> with an ETag; <c>If-None-Match</c> gives 304. Another tenant's registry is 404.</summary>
public static class GetRegistry
{
    // The hottest read: compiled once (no per-call expression work), no tracking, and only the columns the answer
    // shows (not the applied manifest, the operator's status or the encrypted secrets).
    private static readonly Func<GatewayDb, Guid, string, CancellationToken, Task<VersionedResponse?>> Query =
        EF.CompileAsyncQuery((GatewayDb db, Guid id, string tenant, CancellationToken ct) => db.Registries
            .AsNoTracking()
            .Where(r => r.Id == id && r.Tenant == tenant)
            .Select(r => new VersionedResponse(
                new RegistryResponse(r.Id, r.Name, r.Namespace, r.Cluster, r.State, r.Health, r.RegistryEndpoint, r.CurrentVersion,
                    r.Generation, r.ObservedGeneration, r.Conditions, r.Spec, r.CreatedAt, r.UpdatedAt),
                r.Version))
            .FirstOrDefault());

    public static async Task<Results<Ok<RegistryResponse>, StatusCodeHttpResult, ProblemHttpResult>> HandleAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, HttpContext http, CancellationToken ct)
    {
        var found = await Query(db, id, user.Tenant(), ct);
        if (found is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var etag = Registry.ETagOf(found.Version);
        http.Response.Headers.ETag = etag;
        return http.Request.Headers.IfNoneMatch.Contains(etag)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(found.Registry);
    }

    private sealed record VersionedResponse(RegistryResponse Registry, uint Version);
}
