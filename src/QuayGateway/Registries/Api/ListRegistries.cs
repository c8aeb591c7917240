using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;

namespace QuayGateway.Registries.Api;

/// <summary><c>GET /v1/registries</c>: the tenant's registries, newest first, filtered, with keyset (cursor) paging.</summary>
public static class ListRegistries
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 200;

    public static async Task<Results<Ok<RegistryPage>, ValidationProblem>> HandleAsync(
        ClaimsPrincipal user, GatewayDb db, CancellationToken ct,
        RegistryState? state = null, string? cluster = null, string? @namespace = null, int? limit = null, string? cursor = null)
    {
        var pageSize = limit ?? DefaultLimit;
        if (pageSize is < 1 or > MaxLimit)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["limit"] = [$"limit must be between 1 and {MaxLimit}."] });
        }

        (DateTimeOffset CreatedAt, Guid Id)? after = null;
        if (cursor is not null)
        {
            if (KeysetCursor.Decode(cursor) is not { } position)
            {
                return Problems.Validation(new Dictionary<string, string[]> { ["cursor"] = ["The cursor is not one this API returned."] });
            }

            after = position;
        }

        var rows = await Page(db, user.Tenant(), state, cluster, @namespace, after, pageSize + 1).ToListAsync(ct);
        var next = rows.Count > pageSize ? KeysetCursor.Encode(rows[pageSize - 1].CreatedAt, rows[pageSize - 1].Id) : null;
        return TypedResults.Ok(new RegistryPage(rows.Take(pageSize).Select(RegistryResponse.From).ToList(), next));
    }

    /// <summary>
    /// The page's query: the tenant's registries after the cursor, newest first. Each filter has an index that leads with
    /// (tenant, filter) and ends with (created_at, id), so a page is read from the cursor on, in order
    /// (RegistryConfiguration; ListAndStatusPlanTests checks the plans).
    /// </summary>
    public static IQueryable<Registry> Page(GatewayDb db, string tenant, RegistryState? state, string? cluster, string? @namespace,
        (DateTimeOffset CreatedAt, Guid Id)? after, int take)
    {
        var query = db.Registries.AsNoTracking().Where(r => r.Tenant == tenant);
        if (state is not null)
        {
            query = query.Where(r => r.State == state);
        }

        if (cluster is not null)
        {
            query = query.Where(r => r.Cluster == cluster);
        }

        if (@namespace is not null)
        {
            query = query.Where(r => r.Namespace == @namespace);
        }

        if (after is { } a)
        {
            // A row comparison, (created_at, id) < (…, …), is an index condition: the scan starts at the cursor. The same
            // test spelt with OR is a filter, and page n read the n − 1 pages before it again.
            query = query.Where(r => EF.Functions.LessThan(ValueTuple.Create(r.CreatedAt, r.Id), ValueTuple.Create(a.CreatedAt, a.Id)));
        }

        return query.OrderByDescending(r => r.CreatedAt).ThenByDescending(r => r.Id).Take(take);
    }
}
