using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using Npgsql;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tenants;

namespace QuayGateway.Registries.Api;

/// <summary>
/// <c>GET /v1/registries/{id}/events</c>: the registry's timeline as JSON pages, or with <c>Accept: text/event-stream</c>
/// a live SSE stream a portal can follow (its whole timeline first; resumable with <c>Last-Event-ID</c>). Filter: <c>type</c>.
/// </summary>
public static class ListRegistryEvents
{
    public static async Task<Results<Ok<TimelinePage>, EmptyHttpResult, ProblemHttpResult, ValidationProblem>> HandleAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, HttpContext http, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        TimelineFeed feed, NpgsqlDataSource database, ApiKeyRevocations revocations, EventStreamLeases streams, CancellationToken ct,
        TimelineEntryType? type = null, long? after = null, string? cursor = null, int? limit = null)
    {
        if (Problems.UnlessEnumName<TimelineEntryType>(http, nameof(type)) is { } unknownType)
        {
            return unknownType;
        }

        if (!await db.OfTenant(user).AnyAsync(r => r.Id == id, ct))
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var filter = new TimelineFilter(user.Tenant(), RegistryId: id, Type: type);
        return await ListFleetEvents.AnswerAsync(http, user, db, json.Value.SerializerOptions, feed, database, revocations, streams, filter,
            after, cursor, limit, fromNow: false, ct);
    }
}

/// <summary>
/// <c>GET /v1/events</c>: the tenant's timeline across all its registries, as JSON pages or (with
/// <c>Accept: text/event-stream</c>) a live SSE stream from now, or from <c>after</c> / <c>Last-Event-ID</c>.
/// Filters: <c>registry</c>, <c>type</c>, <c>state</c>. The ids are the per-registry timeline's.
/// </summary>
public static class ListFleetEvents
{
    public static async Task<Results<Ok<TimelinePage>, EmptyHttpResult, ProblemHttpResult, ValidationProblem>> HandleAsync(
        ClaimsPrincipal user, GatewayDb db, HttpContext http, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        TimelineFeed feed, NpgsqlDataSource database, ApiKeyRevocations revocations, EventStreamLeases streams, CancellationToken ct,
        Guid? registry = null, TimelineEntryType? type = null, RegistryState? state = null, long? after = null, string? cursor = null,
        int? limit = null)
    {
        if ((Problems.UnlessEnumName<TimelineEntryType>(http, nameof(type)) ?? Problems.UnlessEnumName<RegistryState>(http, nameof(state))) is { } unknown)
        {
            return unknown;
        }

        if (registry is { } one && !await db.OfTenant(user).AnyAsync(r => r.Id == one, ct))
        {
            return Problems.NotFound($"Registry '{one}'");
        }

        var filter = new TimelineFilter(user.Tenant(), registry, type, state);
        return await AnswerAsync(http, user, db, json.Value.SerializerOptions, feed, database, revocations, streams, filter,
            after, cursor, limit, fromNow: true, ct);
    }

    internal static async Task<Results<Ok<TimelinePage>, EmptyHttpResult, ProblemHttpResult, ValidationProblem>> AnswerAsync(
        HttpContext http, ClaimsPrincipal user, GatewayDb db, System.Text.Json.JsonSerializerOptions json, TimelineFeed feed,
        NpgsqlDataSource database, ApiKeyRevocations revocations, EventStreamLeases streams, TimelineFilter filter,
        long? after, string? cursor, int? limit, bool fromNow, CancellationToken ct)
    {
        var pageSize = limit ?? TimelineStream.DefaultLimit;
        if (pageSize is < 1 or > TimelineStream.MaxLimit)
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["limit"] = [$"limit must be between 1 and {TimelineStream.MaxLimit}."] });
        }

        var stream = TimelineStream.WantsStream(http);
        var (position, afterId, problem) = await TimelineStream.StartAsync(http, database, cursor, after, ct);
        if (problem is not null)
        {
            return problem;
        }

        filter = filter with { AfterId = afterId };
        if (!stream)
        {
            return TypedResults.Ok(await TimelineStream.PageAsync(database, position ?? TimelinePosition.Start, filter, pageSize, ct));
        }

        var start = position ?? (fromNow ? await TimelineQueries.NowAsync(database, ct) : TimelinePosition.Start);
        var refusal = await TimelineStream.RunAsync(http, user, db, feed, database, streams, revocations, filter, start, json, ct);
        return refusal is null ? TypedResults.Empty : refusal;
    }
}
