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
    public static async Task<Results<Ok<RegistryResponse>, StatusCodeHttpResult, ProblemHttpResult>> HandleAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, HttpContext http, CancellationToken ct)
    {
        var tenant = user.Tenant();
        var registry = await db.Registries.AsNoTracking().SingleOrDefaultAsync(r => r.Id == id && r.Tenant == tenant, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        http.Response.Headers.ETag = registry.ETag;
        return http.Request.Headers.IfNoneMatch.Contains(registry.ETag)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(RegistryResponse.From(registry));
    }
}
