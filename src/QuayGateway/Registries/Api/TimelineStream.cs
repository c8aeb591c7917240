using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Security.Claims;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tenants;

namespace QuayGateway.Registries.Api;

/// <summary>One timeline entry as the API shows it, in both the per-registry and the fleet timeline.</summary>
/// <param name="Id">The entry's position in the timeline; increases in commit order, and is the SSE event id (<c>Last-Event-ID</c>).</param>
/// <param name="At">When it happened (ISO 8601, UTC).</param>
/// <param name="Type">What happened: a state change, a condition transition, a drift, a pod or job failing, a Quay bootstrap step; also the SSE event name.</param>
/// <param name="State">The registry's state after the entry.</param>
/// <param name="Reason">A CamelCase reason, from the operator or the gateway; null when there is none.</param>
/// <param name="Message">A human-readable explanation; null when there is none.</param>
/// <param name="RegistryId">The registry the entry is about.</param>
/// <param name="RegistryName">The name of the registry the entry is about.</param>
public sealed record TimelineEntry(
    long Id, DateTimeOffset At, TimelineEntryType Type, RegistryState State, string? Reason, string? Message, Guid RegistryId, string RegistryName)
{
    public static TimelineEntry From(TimelineRecord r) => new(r.Id, r.At, r.Type, r.State, r.Reason, r.Message, r.RegistryId, r.RegistryName);
}

/// <summary>A page of the timeline, oldest first in commit order; <c>nextCursor</c> is null on the last page.</summary>
/// <param name="Items">The entries of this page, oldest first.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> to read the next page; null on the last page.</param>
public sealed record TimelinePage(IReadOnlyList<TimelineEntry> Items, string? NextCursor);

/// <summary>
/// What the per-registry and the fleet timeline share: JSON pages in commit order with an opaque cursor (the
/// position), and the live SSE stream fed by <see cref="TimelineFeed"/>, resumable with <c>Last-Event-ID</c>.
/// </summary>
public static class TimelineStream
{
    public const int DefaultLimit = 200;
    public const int MaxLimit = 1000;
    private const int CatchUpPage = 500;

    public static bool WantsStream(HttpContext http) =>
        http.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.OrdinalIgnoreCase);

    /// <summary>The cursor of the entry at <paramref name="position"/>: base64url of "xact.id".</summary>
    public static string EncodeCursor(TimelinePosition position) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(
                $"{position.Xact.ToString(CultureInfo.InvariantCulture)}.{position.Id.ToString(CultureInfo.InvariantCulture)}"))
            .TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static TimelinePosition? DecodeCursor(string cursor)
    {
        try
        {
            var padded = cursor.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - (padded.Length % 4)) % 4);
            var parts = Encoding.UTF8.GetString(Convert.FromBase64String(padded)).Split('.');
            return parts.Length == 2
                   && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var xact)
                   && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)
                ? new TimelinePosition(xact, id)
                : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Where a reader starts: a cursor (JSON) or the entry named by <c>Last-Event-ID</c> (SSE reconnects) or
    /// <c>after</c>. An entry that no longer exists (retention) starts at the oldest one left, above that id.
    /// Null with no hint: JSON pages from the beginning, the fleet stream from now.
    /// </summary>
    public static async Task<(TimelinePosition? Position, long AfterId, ValidationProblem? Problem)> StartAsync(
        HttpContext http, NpgsqlDataSource database, string? cursor, long? after, CancellationToken ct)
    {
        if (cursor is not null)
        {
            return DecodeCursor(cursor) is { } position
                ? (position, 0, null)
                : (null, 0, Problems.Validation(new Dictionary<string, string[]> { ["cursor"] = ["The cursor is not one this API returned."] }));
        }

        long? eventId = after;
        var header = http.Request.Headers["Last-Event-ID"].ToString();
        if (header.Length > 0)
        {
            if (!long.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var lastId))
            {
                return (null, 0, Problems.Validation(new Dictionary<string, string[]> { ["Last-Event-ID"] = ["Last-Event-ID is the id of an event this API sent."] }));
            }

            eventId = lastId;
        }

        if (eventId is not { } id)
        {
            return (null, 0, null);
        }

        if (id <= 0)
        {
            return (TimelinePosition.Start, 0, null);
        }

        return await TimelineQueries.PositionOfAsync(database, id, ct) is { } known
            ? (known, 0, null)
            : (TimelinePosition.Start, id, null);
    }

    public static async Task<TimelinePage> PageAsync(
        NpgsqlDataSource database, TimelinePosition after, TimelineFilter filter, int limit, CancellationToken ct)
    {
        var (rows, _, _) = await TimelineQueries.ReadAsync(database, after, filter, limit + 1, ct);
        var next = rows.Count > limit ? EncodeCursor(rows[limit - 1].Position) : null;
        return new TimelinePage(rows.Take(limit).Select(TimelineEntry.From).ToList(), next);
    }

    /// <summary>
    /// Opens the SSE stream for <paramref name="user"/>: takes a lease against the tenant's <c>eventStreams</c> quota,
    /// ends when the key that opened it is revoked, and sends every entry <paramref name="filter"/> wants after
    /// <paramref name="start"/> once, in commit order.
    /// </summary>
    public static async Task<ProblemHttpResult?> RunAsync(
        HttpContext http, ClaimsPrincipal user, GatewayDb db, TimelineFeed feed, NpgsqlDataSource database, EventStreamLeases streams,
        ApiKeyRevocations revocations, TimelineFilter filter, TimelinePosition start, JsonSerializerOptions json, CancellationToken ct)
    {
        // An open stream counts against the tenant's eventStreams quota, on whichever replica it is open.
        var (lease, refusal) = await streams.OpenAsync(user.Tenant(), ct);
        if (refusal is not null)
        {
            return refusal;
        }

        await using var _ = lease;
        // The stream ends when the key that opened it is revoked, on whichever replica that happens.
        using var watch = await revocations.WatchAsync(user, db, ct);
        if (watch.Revoked.IsCancellationRequested)
        {
            // The key or session ended since the request was authenticated (a session reaching its expiry right then):
            // answered as if it had ended before, not with a stream that is over before it starts.
            ApiKeyAuthenticationHandler.Unauthorized(http, http.RequestServices.GetRequiredService<IOptions<AuthOptions>>().Value);
            return Problems.Problem(StatusCodes.Status401Unauthorized, ProblemTypes.Unauthorized, "Unauthorized",
                "The key or session that opened this stream has ended; sign in again.");
        }

        using var streaming = CancellationTokenSource.CreateLinkedTokenSource(ct, watch.Revoked);
        await SendAsync(http, feed, database, filter, start, json, streaming.Token);
        return null;
    }

    private static async Task SendAsync(
        HttpContext http, TimelineFeed feed, NpgsqlDataSource database, TimelineFilter filter, TimelinePosition position,
        JsonSerializerOptions json, CancellationToken ct)
    {
        http.Response.Headers.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        var beat = StreamHeartbeat.Next;
        var wrote = false;
        var batch = new List<TimelineRecord>();
        try
        {
            // Inside the try: a stream cancelled from here on ends quietly; thrown, the cancellation was a 500.
            await http.Response.Body.FlushAsync(ct);
            // Following keeps the feed reading; a replica with no open stream does not read the timeline at all.
            using var following = await feed.FollowAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                batch.Clear();
                Task? advanced = null;
                if (feed.TryRead(position, filter, batch, out var covered, out var next))
                {
                    advanced = next;
                }
                else
                {
                    // Behind what the feed keeps in memory: catch up from the table, then follow the feed again.
                    var (rows, horizon, _) = await TimelineQueries.ReadAsync(database, position, filter, CatchUpPage, ct);
                    batch.AddRange(rows);
                    covered = rows.Count == CatchUpPage
                        ? rows[^1].Position
                        : TimelinePosition.Max(position, TimelinePosition.Below(horizon));
                }

                foreach (var entry in batch)
                {
                    http.Response.BodyWriter.Write(SseFrames.Of(entry, json));
                }

                position = covered;
                if (batch.Count > 0)
                {
                    wrote = true;
                    await http.Response.Body.FlushAsync(ct);
                }

                if (advanced is null)
                {
                    continue;
                }

                if (await Task.WhenAny(advanced, beat).WaitAsync(ct) == beat)
                {
                    // Silent for a whole beat: say so, so that proxies keep the connection.
                    if (!wrote)
                    {
                        await http.Response.WriteAsync(": keep-alive\n\n", ct);
                        await http.Response.Body.FlushAsync(ct);
                    }

                    wrote = false;
                    beat = StreamHeartbeat.Next;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // the client went away, or its key was revoked
        }
    }

}

/// <summary>
/// Each entry's SSE frame (<c>id</c>, <c>event</c>, <c>data</c>), encoded once per replica and shared by every stream that
/// sends it: the feed hands all streams the same record instances, so 2,000 open streams cost one serialization per
/// entry, not 2,000. Kept beside the record while the feed holds it (a weak table), gone with it.
/// </summary>
internal static class SseFrames
{
    private static readonly ConditionalWeakTable<TimelineRecord, Frame> Encoded = new();

    public static ReadOnlySpan<byte> Of(TimelineRecord entry, JsonSerializerOptions json)
    {
        if (Encoded.TryGetValue(entry, out var frame) && ReferenceEquals(frame.Json, json))
        {
            return frame.Bytes;
        }

        frame = new Frame(json, Encode(entry, json));
        Encoded.AddOrUpdate(entry, frame);
        return frame.Bytes;
    }

    private static byte[] Encode(TimelineRecord entry, JsonSerializerOptions json) => Encoding.UTF8.GetBytes(
        $"id: {entry.Id.ToString(CultureInfo.InvariantCulture)}\nevent: {entry.Type}\ndata: {JsonSerializer.Serialize(TimelineEntry.From(entry), json)}\n\n");

    private sealed record Frame(JsonSerializerOptions Json, byte[] Bytes);
}

/// <summary>
/// One clock for the keep-alive comments of every open stream of this replica: a stream that sent nothing during a
/// whole beat sends <c>: keep-alive</c>. The streams wait on one shared task instead of a timer each, created again on
/// every wake-up (2,000 idle portal tabs: one timer, not 2,000 re-armed on every entry).
/// </summary>
internal static class StreamHeartbeat
{
    public static readonly TimeSpan Every = TimeSpan.FromSeconds(15);
    private static TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private static readonly Timer Clock = new(_ => Beat(), null, Every, Every);

    /// <summary>Completes at the next beat.</summary>
    public static Task Next
    {
        get
        {
            GC.KeepAlive(Clock); // the field keeps the timer running; this keeps the compiler from calling it unused
            return Volatile.Read(ref _next).Task;
        }
    }

    private static void Beat() =>
        Interlocked.Exchange(ref _next, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}
