using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Persistence;

namespace QuayGateway.Security;

/// <param name="Name">A name to recognize the key by (where it is used).</param>
/// <param name="Scopes">The scopes the key grants; <c>admin</c> implies its tenant's other scopes, <c>platform:admin</c> everything.</param>
/// <param name="Tenant">The tenant the key acts for; a tenant admin may only name its own (the default).</param>
/// <param name="ExpiresAt">When the key stops working (ISO 8601); never when left out.</param>
public sealed record CreateApiKeyRequest(
    [property: Required] string Name,
    [property: Required] IReadOnlyList<string> Scopes,
    string? Tenant = null,
    DateTimeOffset? ExpiresAt = null);

/// <param name="Id">The key's id (12 hex digits, the part of the key after <c>qgw_</c>); used by <c>DELETE /v1/api-keys/{id}</c> and as <c>actor</c> in the audit log.</param>
/// <param name="Name">The key's name.</param>
/// <param name="Tenant">The tenant the key acts for.</param>
/// <param name="Scopes">The scopes the key grants.</param>
/// <param name="CreatedAt">When the key was created.</param>
/// <param name="ExpiresAt">When the key stops working; null when it does not expire.</param>
public sealed record ApiKeyResponse(string Id, string Name, string Tenant, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt)
{
    public static ApiKeyResponse From(ApiKey key) => new(key.Id, key.Name, key.Tenant, key.Scopes, key.CreatedAt, key.ExpiresAt);
}

/// <summary>The one answer that carries the key itself.</summary>
/// <param name="Id">The key's id (12 hex digits, the part of the key after <c>qgw_</c>); used by <c>DELETE /v1/api-keys/{id}</c> and as <c>actor</c> in the audit log.</param>
/// <param name="Name">The key's name.</param>
/// <param name="Tenant">The tenant the key acts for.</param>
/// <param name="Scopes">The scopes the key grants.</param>
/// <param name="CreatedAt">When the key was created.</param>
/// <param name="ExpiresAt">When the key stops working; null when it does not expire.</param>
/// <param name="Key">The key itself, to send as <c>X-Api-Key</c>; shown only in this answer.</param>
public sealed record CreatedApiKeyResponse(string Id, string Name, string Tenant, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, string Key);

/// <summary>
/// <c>/v1/api-keys</c>. A platform admin manages every tenant's keys; a tenant admin (<c>admin</c>) only its own
/// tenant's: naming another tenant, or granting <c>platform:admin</c>, answers 403, and another tenant's key id
/// answers 404 like any other tenant's id.
/// </summary>
public static class ApiKeysApi
{
    public static IEndpointRouteBuilder MapApiKeys(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/api-keys").WithTags("API keys").RequireAuthorization(Scopes.Admin);

        group.MapPost("/", CreateAsync)
            .WithName("CreateApiKey")
            .WithSummary("Create an API key")
            .WithDescription("Creates a key for a tenant (the caller's by default) with the given scopes. The key is in this answer only: it is stored hashed and cannot be shown again. " +
                             "A tenant admin creates keys for its own tenant only, and never with platform:admin (403).")
            .WithRequestExample(new CreateApiKeyRequest("payments-portal", [Scopes.RegistriesRead, Scopes.RegistriesWrite], "payments"));
        group.MapGet("/", ListAsync)
            .WithName("ListApiKeys")
            .WithSummary("List API keys")
            .WithDescription("Lists keys without their secrets, optionally for one tenant. A tenant admin sees its own tenant's keys only (another tenant: 403).");
        group.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteApiKey")
            .WithSummary("Revoke an API key")
            .WithDescription("Deletes the key (a tenant admin: its own tenant's keys; another tenant's id answers 404); requests that " +
                             "present it are refused from now on, on every replica (each hears of it through PostgreSQL NOTIFY), " +
                             "and the event streams it opened end.");
        return app;
    }

    private static async Task<Results<Created<CreatedApiKeyResponse>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        CreateApiKeyRequest request, ClaimsPrincipal user, GatewayDb db, CancellationToken ct)
    {
        var tenant = request.Tenant ?? user.Tenant();
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
        {
            errors["name"] = ["The name is required and at most 100 characters."];
        }

        if (!Scopes.IsValidTenant(tenant))
        {
            errors["tenant"] = [$"'{tenant}' is not a valid tenant name (a DNS-1123 label)."];
        }

        if (request.Scopes is not { Count: > 0 } || request.Scopes.Any(s => !Scopes.All.Contains(s)))
        {
            errors["scopes"] = [$"Give one or more of: {string.Join(", ", Scopes.All)}."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (!user.IsPlatformAdmin())
        {
            if (tenant != user.Tenant())
            {
                return OtherTenant(user);
            }

            if (request.Scopes.Contains(Scopes.PlatformAdmin))
            {
                return Problems.Forbidden(ProblemTypes.Forbidden, "Forbidden",
                    $"Only a platform admin may grant '{Scopes.PlatformAdmin}'.");
            }
        }

        var (id, secret, hash) = ApiKeySecrets.NewKey();
        var key = new ApiKey
        {
            Id = id, Tenant = tenant, Name = request.Name, Scopes = request.Scopes.Distinct().ToArray(), SecretHash = hash,
            ExpiresAt = request.ExpiresAt,
        };
        db.ApiKeys.Add(key);
        await db.SaveChangesAsync(ct);
        return TypedResults.Created($"/v1/api-keys/{id}",
            new CreatedApiKeyResponse(key.Id, key.Name, key.Tenant, key.Scopes, key.CreatedAt, key.ExpiresAt, secret));
    }

    private static async Task<Results<Ok<List<ApiKeyResponse>>, ProblemHttpResult>> ListAsync(
        string? tenant, ClaimsPrincipal user, GatewayDb db, CancellationToken ct)
    {
        if (!user.IsPlatformAdmin())
        {
            if (tenant is not null && tenant != user.Tenant())
            {
                return OtherTenant(user);
            }

            tenant = user.Tenant();
        }

        var keys = await db.ApiKeys.AsNoTracking()
            .Where(k => tenant == null || k.Tenant == tenant)
            .OrderBy(k => k.CreatedAt)
            .ToListAsync(ct);
        return TypedResults.Ok(keys.Select(ApiKeyResponse.From).ToList());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(
        string id, ClaimsPrincipal user, GatewayDb db, ApiKeyCache cache, CancellationToken ct)
    {
        var tenant = user.IsPlatformAdmin() ? null : user.Tenant();
        var deleted = await db.ApiKeys.Where(k => k.Id == id && (tenant == null || k.Tenant == tenant)).ExecuteDeleteAsync(ct) > 0;
        cache.Forget(id);
        return deleted ? TypedResults.NoContent() : Problems.NotFound($"API key '{id}'");
    }

    private static ProblemHttpResult OtherTenant(ClaimsPrincipal user) =>
        Problems.Forbidden(ProblemTypes.Forbidden, "Forbidden",
            $"A tenant admin manages the keys of its own tenant ('{user.Tenant()}') only; other tenants need '{Scopes.PlatformAdmin}'.");
}
