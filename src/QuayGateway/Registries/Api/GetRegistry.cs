using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Hosting;
using QuayGateway.Registries.Model;
using QuayGateway.Security;

namespace QuayGateway.Registries.Api;

/// <summary><c>GET /v1/registries/{id}</c> with an ETag; <c>If-None-Match</c> gives 304. Another tenant's registry is 404.</summary>
public static class GetRegistry
{
    public static async Task<Results<Ok<RegistryResponse>, StatusCodeHttpResult, ProblemHttpResult>> HandleAsync(
        Guid id, ClaimsPrincipal user, RegistryReader registries, HttpContext http, CancellationToken ct)
    {
        var found = await registries.FindAsync(id, user.Tenant(), ct);
        if (found is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var etag = Registry.ETagOf(found.Value.Version);
        http.Response.Headers.ETag = etag;
        return http.Request.Headers.IfNoneMatch.Contains(etag)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(found.Value.Registry);
    }
}
