using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Security;

namespace QuayGateway.Audit;

/// <param name="Id">The entry's id.</param>
/// <param name="At">When the request was made (ISO 8601, UTC).</param>
/// <param name="Actor">Who made it: the API key's id, or the token's subject; <c>anonymous</c> without a credential.</param>
/// <param name="Tenant">The caller's tenant; null when the caller was not known.</param>
/// <param name="Action">What was asked: the operation id (<c>CreateRegistry</c>, <c>DeleteWebhook</c>, ...).</param>
/// <param name="Target">What the request was on: what a create made (its Location), else the request path; never the query string.</param>
/// <param name="Outcome">How it ended.</param>
/// <param name="Status">The HTTP status code of the answer.</param>
/// <param name="RequestId">The request's trace id, as in the problem's <c>traceId</c> and the logs.</param>
/// <param name="Count">How many identical refusals this entry stands for (repeated refusals within a short window are folded).</param>
public sealed record AuditEntryResponse(
    Guid Id, DateTimeOffset At, string Actor, string? Tenant, string Action, string Target, string Outcome, int Status, string RequestId, int Count)
{
    public static AuditEntryResponse From(AuditEntry e) => new(e.Id, e.At, e.Actor, e.Tenant, e.Action, e.Target, e.Outcome, e.Status, e.RequestId, e.Count);
}

/// <param name="Items">The entries of this page, newest first.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> to read the next page; null on the last page.</param>
public sealed record AuditPage(IReadOnlyList<AuditEntryResponse> Items, string? NextCursor);

/// <summary><c>GET /v1/audit</c>: the audit log, newest first, filtered, with keyset (cursor) paging.</summary>
public static class AuditApi
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 500;

    public static IEndpointRouteBuilder MapAudit(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/audit", ListAsync)
            .WithTags("Audit")
            .RequireAuthorization(p => p.RequireAuthenticatedUser().RequireAssertion(c => c.User.HasScope(Scopes.Admin) || IsPlatformAdmin(c.User)))
            .WithName("ListAuditEntries")
            .WithSummary("List audit entries")
            .WithDescription("Every write and every refused one (401, 403), newest first: actor (key id or token subject), tenant, action " +
                             "(the operation id), target, outcome (succeeded, refused, failed, rate-limited), status and request id. " +
                             "Rate-limited requests are summarised per actor and minute, with a count. Tenant admins (admin) see their " +
                             "tenant's entries, platform admins (platform:admin) all. Filter by actor, action, target, outcome and time " +
                             "(since inclusive, until exclusive); page with limit and the returned nextCursor.");
        return app;
    }

    private static bool IsPlatformAdmin(ClaimsPrincipal user) => user.HasClaim(Scopes.ScopeClaim, Scopes.PlatformAdmin);

    private static async Task<Results<Ok<AuditPage>, ValidationProblem>> ListAsync(
        ClaimsPrincipal user, GatewayDb db, CancellationToken ct,
        string? actor = null, string? action = null, string? target = null, string? outcome = null,
        DateTimeOffset? since = null, DateTimeOffset? until = null, int? limit = null, string? cursor = null)
    {
        var pageSize = limit ?? DefaultLimit;
        if (pageSize is < 1 or > MaxLimit)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["limit"] = [$"limit must be between 1 and {MaxLimit}."] });
        }

        (DateTimeOffset At, Guid Id)? after = null;
        if (cursor is not null)
        {
            if (KeysetCursor.Decode(cursor) is not { } position)
            {
                return Problems.Validation(new Dictionary<string, string[]> { ["cursor"] = ["The cursor is not one this API returned."] });
            }

            after = position;
        }

        var query = db.AuditEntries.AsNoTracking();
        if (!IsPlatformAdmin(user))
        {
            var tenant = user.Tenant();
            query = query.Where(e => e.Tenant == tenant);
        }

        if (actor is not null)
        {
            query = query.Where(e => e.Actor == actor);
        }

        if (action is not null)
        {
            query = query.Where(e => e.Action == action);
        }

        if (target is not null)
        {
            query = query.Where(e => e.Target == target);
        }

        if (outcome is not null)
        {
            query = query.Where(e => e.Outcome == outcome);
        }

        if (since is { } from)
        {
            var fromUtc = from.ToUniversalTime();
            query = query.Where(e => e.At >= fromUtc);
        }

        if (until is { } to)
        {
            var toUtc = to.ToUniversalTime();
            query = query.Where(e => e.At < toUtc);
        }

        if (after is { } a)
        {
            query = query.Where(e => e.At < a.At || (e.At == a.At && e.Id.CompareTo(a.Id) < 0));
        }

        var rows = await query.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Take(pageSize + 1).ToListAsync(ct);
        var next = rows.Count > pageSize ? KeysetCursor.Encode(rows[pageSize - 1].At, rows[pageSize - 1].Id) : null;
        return TypedResults.Ok(new AuditPage(rows.Take(pageSize).Select(AuditEntryResponse.From).ToList(), next));
    }
}
