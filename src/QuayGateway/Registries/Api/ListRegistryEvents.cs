using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tenants;

namespace QuayGateway.Registries.Api;

public sealed record TimelineEntry(long Id, DateTimeOffset At, string Type, RegistryState State, string? Reason, string? Message)
{
    public static TimelineEntry From(RegistryEvent e) => new(e.Id, e.At, e.Type, e.State, e.Reason, e.Message);
}

/// <summary>
/// <c>GET /v1/registries/{id}/events</c>: the timeline as JSON, or with <c>Accept: text/event-stream</c> a live SSE
/// stream a portal can follow (resumable with <c>Last-Event-ID</c>).
/// </summary>
public static class ListRegistryEvents
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(15);

    public static async Task<Results<Ok<List<TimelineEntry>>, EmptyHttpResult, ProblemHttpResult>> HandleAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, HttpContext http, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json,
        ApiKeyRevocations revocations, EventStreamLeases streams, CancellationToken ct, long? after = null)
    {
        if (!await db.OfTenant(user).AnyAsync(r => r.Id == id, ct))
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        if (!http.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            return TypedResults.Ok(await Page(db, id, after ?? 0, ct));
        }

        var since = long.TryParse(http.Request.Headers["Last-Event-ID"], out var lastId) ? lastId : after ?? 0;
        // An open stream counts against the tenant's eventStreams quota, on whichever replica it is open.
        var (lease, refusal) = await streams.OpenAsync(user.Tenant(), ct);
        if (refusal is not null)
        {
            return refusal;
        }

        await using var _ = lease;
        // The stream ends when the key that opened it is revoked, on whichever replica that happens.
        using var watch = await revocations.WatchAsync(user, db, ct);
        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(ct, watch.Revoked);
        await StreamAsync(http, db, id, since, json.Value.SerializerOptions, streaming.Token);
        return TypedResults.Empty;
    }

    private static Task<List<TimelineEntry>> Page(GatewayDb db, Guid id, long after, CancellationToken ct) =>
        db.RegistryEvents.AsNoTracking()
            .Where(e => e.RegistryId == id && e.Id > after)
            .OrderBy(e => e.Id)
            .Take(500)
            .Select(e => new TimelineEntry(e.Id, e.At, e.Type, e.State, e.Reason, e.Message))
            .ToListAsync(ct);

    /// <summary>Polls the timeline table: events may be written by any replica, so the database is the one source.</summary>
    private static async Task StreamAsync(HttpContext http, GatewayDb db, Guid id, long since, JsonSerializerOptions json, CancellationToken ct)
    {
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.Body.FlushAsync(ct);
        var lastWrite = DateTime.UtcNow;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                foreach (var entry in await Page(db, id, since, ct))
                {
                    await http.Response.WriteAsync($"id: {entry.Id}\nevent: {entry.Type}\ndata: {JsonSerializer.Serialize(entry, json)}\n\n", ct);
                    since = entry.Id;
                    lastWrite = DateTime.UtcNow;
                }

                if (DateTime.UtcNow - lastWrite > Heartbeat)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", ct);
                    lastWrite = DateTime.UtcNow;
                }

                await http.Response.Body.FlushAsync(ct);
                await Task.Delay(PollInterval, ct);
            }
        }
        catch (OperationCanceledException)
        {
            // the client went away, or its key was revoked
        }
    }
}
