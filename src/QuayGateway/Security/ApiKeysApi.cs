using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Persistence;

namespace QuayGateway.Security;

public sealed record CreateApiKeyRequest(
    [property: Required] string Name,
    [property: Required] IReadOnlyList<string> Scopes,
    string? Tenant = null,
    DateTimeOffset? ExpiresAt = null);

public sealed record ApiKeyResponse(string Id, string Name, string Tenant, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt)
{
    public static ApiKeyResponse From(ApiKey key) => new(key.Id, key.Name, key.Tenant, key.Scopes, key.CreatedAt, key.ExpiresAt);
}

/// <summary>The one answer that carries the key itself.</summary>
public sealed record CreatedApiKeyResponse(string Id, string Name, string Tenant, IReadOnlyList<string> Scopes, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, string Key);

public static partial class ApiKeysApi
{
    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex TenantName();

    public static IEndpointRouteBuilder MapApiKeys(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/api-keys").WithTags("API keys").RequireAuthorization(Scopes.Admin);

        group.MapPost("/", CreateAsync)
            .WithName("CreateApiKey")
            .WithSummary("Create an API key")
            .WithDescription("Creates a key for a tenant (the caller's by default) with the given scopes. The key is in this answer only: it is stored hashed and cannot be shown again.")
            .WithRequestExample(new CreateApiKeyRequest("payments-portal", [Scopes.RegistriesRead, Scopes.RegistriesWrite], "payments"));
        group.MapGet("/", ListAsync)
            .WithName("ListApiKeys")
            .WithSummary("List API keys")
            .WithDescription("Lists keys without their secrets, optionally for one tenant.");
        group.MapDelete("/{id}", DeleteAsync)
            .WithName("DeleteApiKey")
            .WithSummary("Revoke an API key")
            .WithDescription("Deletes the key; requests that present it are refused from now on, on every replica (each hears of " +
                             "it through PostgreSQL NOTIFY), and the event streams it opened end.");
        return app;
    }

    private static async Task<Results<Created<CreatedApiKeyResponse>, ValidationProblem>> CreateAsync(
        CreateApiKeyRequest request, ClaimsPrincipal user, GatewayDb db, CancellationToken ct)
    {
        var tenant = request.Tenant ?? user.Tenant();
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
        {
            errors["name"] = ["The name is required and at most 100 characters."];
        }

        if (tenant.Length > 63 || !TenantName().IsMatch(tenant))
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

    private static async Task<Ok<List<ApiKeyResponse>>> ListAsync(string? tenant, GatewayDb db, CancellationToken ct)
    {
        var keys = await db.ApiKeys.AsNoTracking()
            .Where(k => tenant == null || k.Tenant == tenant)
            .OrderBy(k => k.CreatedAt)
            .ToListAsync(ct);
        return TypedResults.Ok(keys.Select(ApiKeyResponse.From).ToList());
    }

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, GatewayDb db, ApiKeyCache cache, CancellationToken ct)
    {
        var deleted = await db.ApiKeys.Where(k => k.Id == id).ExecuteDeleteAsync(ct) > 0;
        cache.Forget(id);
        return deleted ? TypedResults.NoContent() : Problems.NotFound($"API key '{id}'");
    }
}
