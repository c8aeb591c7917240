using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using QuayGateway.Persistence;

namespace QuayGateway.Registries.Model;

/// <summary>
/// A place in the timeline in commit order: the writing transaction's id (<c>xact_id</c>, migration
/// <c>streams_TimelineCommitOrder</c>), then the entry's id. Below the horizon (the oldest transaction still running)
/// nothing can be added any more, so a reader that has read up to a position never misses an entry before it.
/// </summary>
public readonly record struct TimelinePosition(long Xact, long Id) : IComparable<TimelinePosition>
{
    public static readonly TimelinePosition Start = new(0, 0);

    /// <summary>Everything written by transactions older than <paramref name="horizon"/>.</summary>
    public static TimelinePosition Below(long horizon) => new(horizon - 1, long.MaxValue);

    public int CompareTo(TimelinePosition other) => Xact != other.Xact ? Xact.CompareTo(other.Xact) : Id.CompareTo(other.Id);

    public static bool operator <(TimelinePosition a, TimelinePosition b) => a.CompareTo(b) < 0;

    public static bool operator >(TimelinePosition a, TimelinePosition b) => a.CompareTo(b) > 0;

    public static bool operator <=(TimelinePosition a, TimelinePosition b) => a.CompareTo(b) <= 0;

    public static bool operator >=(TimelinePosition a, TimelinePosition b) => a.CompareTo(b) >= 0;

    public static TimelinePosition Max(TimelinePosition a, TimelinePosition b) => a >= b ? a : b;
}

/// <summary>One timeline entry with what a reader filters on and shows: its registry's tenant and name.</summary>
public sealed record TimelineRecord(
    TimelinePosition Position, Guid RegistryId, string Tenant, string RegistryName, DateTimeOffset At, TimelineEntryType Type, RegistryState State,
    string? Reason, string? Message)
{
    public long Id => Position.Id;
}

/// <summary>Which entries a reader wants: always one tenant's; optionally one registry, type or state; ids above <see cref="AfterId"/>.</summary>
public sealed record TimelineFilter(string Tenant, Guid? RegistryId = null, TimelineEntryType? Type = null, RegistryState? State = null, long AfterId = 0)
{
    public bool Matches(TimelineRecord r) =>
        r.Tenant == Tenant && r.Id > AfterId
        && (RegistryId is null || r.RegistryId == RegistryId)
        && (Type is null || r.Type == Type)
        && (State is null || r.State == State);
}

/// <summary>Reads the timeline table below the horizon, in commit order. The only code that knows <c>xact_id</c>.</summary>
public static class TimelineQueries
{
    private static readonly string[] KnownTypes = Enum.GetNames<TimelineEntryType>();

    /// <summary>
    /// Up to <paramref name="limit"/> entries after <paramref name="after"/> that <paramref name="filter"/> wants (all
    /// tenants' when it is null), and the horizon of the same snapshot: every entry below it has been considered, so a
    /// page shorter than the limit covers everything up to <see cref="TimelinePosition.Below"/> of it.
    /// <c>Pending</c> says that committed entries wait above the horizon for an older transaction to end.
    /// </summary>
    public static async Task<(List<TimelineRecord> Rows, long Horizon, bool Pending)> ReadAsync(
        NpgsqlDataSource database, TimelinePosition after, TimelineFilter? filter, int limit, CancellationToken ct)
    {
        var conditions = new List<string>();
        await using var command = database.CreateCommand();
        if (filter is not null)
        {
            conditions.Add("r.tenant = @tenant");
            command.Parameters.AddWithValue("tenant", filter.Tenant);
            if (filter.RegistryId is { } registry)
            {
                conditions.Add("e.registry_id = @registry");
                command.Parameters.AddWithValue("registry", registry);
            }

            if (filter.Type is { } type)
            {
                conditions.Add("e.type = @type");
                command.Parameters.AddWithValue("type", type.ToString());
            }

            if (filter.State is { } state)
            {
                conditions.Add("e.state = @state");
                command.Parameters.AddWithValue("state", state.ToString());
            }

            if (filter.AfterId > 0)
            {
                conditions.Add("e.id > @after_id");
                command.Parameters.AddWithValue("after_id", filter.AfterId);
            }
        }

        // One statement, one snapshot: the horizon row and the entries below it. The horizon row comes first in
        // practice, but nothing relies on it: rows are told apart by a null xact_id and sorted here.
        command.CommandText = $"""
            WITH h AS MATERIALIZED (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS xmin)
            SELECT h.xmin::text, NULL::text, NULL::bigint, NULL::uuid, NULL::text, NULL::text, NULL::timestamptz, NULL::text, NULL::text, NULL::text, NULL::text,
                   EXISTS (SELECT 1 FROM gateway.registry_events p WHERE p.xact_id >= h.xmin)
            FROM h
            UNION ALL
            (SELECT NULL, e.xact_id::text, e.id, e.registry_id, r.tenant, r.name, e.at, e.type, e.state, e.reason, e.message, NULL
             FROM gateway.registry_events e JOIN gateway.registries r ON r.id = e.registry_id
             WHERE (e.xact_id, e.id) > (@xact::xid8, @id) AND e.xact_id < (SELECT xmin FROM h) AND e.type = ANY(@known_types)
             {string.Concat(conditions.Select(c => " AND " + c))}
             ORDER BY e.xact_id, e.id
             LIMIT @limit)
            """;
        command.Parameters.Add(new NpgsqlParameter("xact", NpgsqlDbType.Text) { Value = after.Xact.ToString(CultureInfo.InvariantCulture) });
        command.Parameters.AddWithValue("id", after.Id);
        command.Parameters.AddWithValue("limit", limit);
        // Only the types this replica knows: one a newer replica writes (during a rolling upgrade) shows once this one
        // runs that version too, instead of failing every reader here. Filtered in SQL, so limits and positions stay exact.
        command.Parameters.AddWithValue("known_types", KnownTypes);

        var rows = new List<TimelineRecord>();
        long horizon = 0;
        var pending = false;
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            if (reader.IsDBNull(1))
            {
                horizon = long.Parse(reader.GetString(0), CultureInfo.InvariantCulture);
                pending = reader.GetBoolean(11);
                continue;
            }

            rows.Add(new TimelineRecord(
                new TimelinePosition(long.Parse(reader.GetString(1), CultureInfo.InvariantCulture), reader.GetInt64(2)),
                reader.GetGuid(3), reader.GetString(4), reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), Enum.Parse<TimelineEntryType>(reader.GetString(7)),
                Enum.Parse<RegistryState>(reader.GetString(8)), reader.IsDBNull(9) ? null : reader.GetString(9),
                reader.IsDBNull(10) ? null : reader.GetString(10)));
        }

        rows.Sort((a, b) => a.Position.CompareTo(b.Position));
        return (rows, horizon, pending);
    }

    /// <summary>
    /// Where a reader that last saw entry <paramref name="eventId"/> resumes: that entry's position, or null when the
    /// entry is gone (retention) or never existed.
    /// </summary>
    public static async Task<TimelinePosition?> PositionOfAsync(NpgsqlDataSource database, long eventId, CancellationToken ct)
    {
        await using var command = database.CreateCommand("SELECT xact_id::text FROM gateway.registry_events WHERE id = @id");
        command.Parameters.AddWithValue("id", eventId);
        return await command.ExecuteScalarAsync(ct) is string xact
            ? new TimelinePosition(long.Parse(xact, CultureInfo.InvariantCulture), eventId)
            : null;
    }

    /// <summary>The position just below the current horizon: a reader starting there sees only what commits from now.</summary>
    public static async Task<TimelinePosition> NowAsync(NpgsqlDataSource database, CancellationToken ct)
    {
        await using var command = database.CreateCommand("SELECT pg_snapshot_xmin(pg_current_snapshot())::text");
        return TimelinePosition.Below(long.Parse((string)(await command.ExecuteScalarAsync(ct))!, CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// The timeline as it commits, pushed to every open event stream of this replica. One reader per replica: the
/// <c>gateway_timeline</c> notification (a statement-level trigger on the timeline table; heard on the replica's one
/// <see cref="DatabaseNotifications"/> connection) wakes it, it reads what is new below the horizon, keeps the last
/// <see cref="Capacity"/> entries in memory and wakes the streams, which take their tenant's entries from memory.
/// A stream that fell behind the ring, or starts from an older position, catches up from the table itself, then
/// follows the ring again. Notifications lost while the listener reconnected are made up by the read that
/// reconnecting triggers, and by a re-read every <see cref="SafetyInterval"/>. Entries committed above the horizon
/// (an older transaction, possibly one that writes no timeline, still runs) are read again every
/// <see cref="PendingRetry"/> until they pass it (backing off to <see cref="MaxPendingRetry"/> while the horizon
/// stands still). No stream ever queries while it is following.
/// <para>
/// The feed reads only while streams follow it (<see cref="FollowAsync"/>). Once the last one has been gone for
/// <see cref="IdleAfter"/> it goes dormant: notifications cost nothing, and a replica that serves only API calls does
/// not read the timeline after every write (measured: that read was most of a create's cost under load). The first
/// stream to follow again wakes it, and it starts afresh at the horizon; streams behind that read the table.
/// </para>
/// </summary>
public sealed class TimelineFeed(NpgsqlDataSource database, ILogger<TimelineFeed> logger) : BackgroundService, IDatabaseNotificationHandler
{
    public const string Channel = "gateway_timeline";
    public const int Capacity = 4096;
    public static readonly TimeSpan SafetyInterval = TimeSpan.FromSeconds(5);
    public static readonly TimeSpan PendingRetry = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan MaxPendingRetry = TimeSpan.FromSeconds(1);

    /// <summary>How long the feed keeps reading after its last stream left: a reconnecting browser finds it live.</summary>
    public static readonly TimeSpan IdleAfter = TimeSpan.FromSeconds(5);

    private const int ReadLimit = 1000;

    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly Lock _gate = new();
    private int _followers;
    private long _lastLeftTicks;
    // Completed while the feed is live; replaced by a new one when it goes dormant.
    private TaskCompletionSource _live = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private State _state = State.Dormant();
    private long _reads;

    /// <summary>What the streams read: the last entries in commit order; they are every entry in (Floor, Head].</summary>
    private sealed record State(TimelineRecord[] Entries, TimelinePosition Floor, TimelinePosition Head, TaskCompletionSource Advanced, bool Live)
    {
        public static State Dormant() => new([], TimelinePosition.Start, TimelinePosition.Start, NewSignal(), Live: false);
    }

    string IDatabaseNotificationHandler.Channel => Channel;

    /// <summary>How many times this replica read the table for the feed (for the benchmark and tests).</summary>
    public long Reads => Interlocked.Read(ref _reads);

    /// <summary>Whether the feed is reading the timeline now (some stream follows it, or did within <see cref="IdleAfter"/>).</summary>
    public bool IsLive => Volatile.Read(ref _state).Live;

    public void OnNotification(string payload) => Wake();

    public void OnListening() => Wake();

    /// <summary>
    /// Registers a stream that follows the feed and completes once the feed is live. Dispose the result when the
    /// stream ends. While anyone follows, the feed stays live.
    /// </summary>
    public async Task<IDisposable> FollowAsync(CancellationToken ct)
    {
        Task live;
        lock (_gate)
        {
            _followers++;
            live = _live.Task;
        }

        var following = new Following(this);
        try
        {
            if (!live.IsCompleted)
            {
                Wake();
                await live.WaitAsync(ct);
            }

            return following;
        }
        catch
        {
            following.Dispose();
            throw;
        }
    }

    private sealed class Following(TimelineFeed feed) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                lock (feed._gate)
                {
                    feed._followers--;
                    feed._lastLeftTicks = Environment.TickCount64;
                }
            }
        }
    }

    /// <summary>
    /// Adds to <paramref name="into"/> the entries after <paramref name="after"/> that <paramref name="filter"/> wants,
    /// from memory. False when memory does not reach back to <paramref name="after"/>, or the feed is dormant (read the
    /// table instead). <paramref name="covered"/> is the position read up to; <paramref name="advanced"/> completes when
    /// more arrives.
    /// </summary>
    public bool TryRead(TimelinePosition after, TimelineFilter filter, List<TimelineRecord> into, out TimelinePosition covered, out Task advanced)
    {
        var state = Volatile.Read(ref _state);
        advanced = state.Advanced.Task;
        covered = after;
        if (!state.Live || after < state.Floor)
        {
            return false;
        }

        var entries = state.Entries;
        var lo = 0;
        var hi = entries.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (entries[mid].Position <= after)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        for (var i = lo; i < entries.Length; i++)
        {
            if (filter.Matches(entries[i]))
            {
                into.Add(entries[i]);
            }
        }

        covered = TimelinePosition.Max(after, state.Head);
        return true;
    }

    /// <summary>Asks for a read now (a notification, a reconnect, a test).</summary>
    public void Wake()
    {
        try
        {
            _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // a read is asked for already
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pending = false;
        var retry = PendingRetry;
        long horizon = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var live = Volatile.Read(ref _state).Live;
                await _wake.WaitAsync(!live ? Timeout.InfiniteTimeSpan : pending ? retry : SafetyInterval, stoppingToken);
                if (live && GoDormantIfUnfollowed())
                {
                    pending = false;
                    continue;
                }

                if (!live)
                {
                    if (Volatile.Read(ref _followers) > 0)
                    {
                        (pending, horizon) = await StartAtHorizonAsync(stoppingToken);
                    }

                    continue;
                }

                var lastHorizon = horizon;
                (pending, horizon) = await ReadNewAsync(stoppingToken);
                // A transaction that stays open (a long one anywhere in the cluster) holds the horizon: ask less often
                // while it does, up to once a second, and quickly again once the horizon moves.
                retry = pending && horizon == lastHorizon
                    ? TimeSpan.FromMilliseconds(Math.Min(retry.TotalMilliseconds * 2, MaxPendingRetry.TotalMilliseconds))
                    : PendingRetry;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
            {
                logger.LogWarning(e, "Timeline feed: reading the timeline failed; trying again");
                Wake();
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>
    /// Goes dormant when no stream has followed for <see cref="IdleAfter"/>. Under the lock <see cref="FollowAsync"/>
    /// takes, so a stream that registers either keeps the feed live or finds it dormant and wakes it.
    /// </summary>
    private bool GoDormantIfUnfollowed()
    {
        lock (_gate)
        {
            if (_followers > 0 || Environment.TickCount64 - _lastLeftTicks < (long)IdleAfter.TotalMilliseconds)
            {
                return false;
            }

            _live = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var old = Volatile.Read(ref _state);
            Volatile.Write(ref _state, State.Dormant());
            old.Advanced.TrySetResult();
        }

        logger.LogDebug("Timeline feed: no stream follows; dormant until one does");
        return true;
    }

    /// <summary>Starts (again) at the horizon: what committed before it, a stream reads from the table.</summary>
    private async Task<(bool Pending, long Horizon)> StartAtHorizonAsync(CancellationToken ct)
    {
        var now = await TimelineQueries.NowAsync(database, ct);
        Interlocked.Increment(ref _reads);
        var old = Volatile.Read(ref _state);
        Volatile.Write(ref _state, new State([], now, now, NewSignal(), Live: true));
        old.Advanced.TrySetResult();
        lock (_gate)
        {
            _live.TrySetResult();
        }

        return (false, now.Xact + 1);
    }

    /// <summary>Reads what committed below the horizon since the head; says whether entries wait above it, and the horizon.</summary>
    private async Task<(bool Pending, long Horizon)> ReadNewAsync(CancellationToken ct)
    {
        while (true)
        {
            var state = Volatile.Read(ref _state);
            var (rows, horizon, pending) = await TimelineQueries.ReadAsync(database, state.Head, null, ReadLimit, ct);
            Interlocked.Increment(ref _reads);
            var full = rows.Count == ReadLimit;
            var head = full ? rows[^1].Position : TimelinePosition.Max(state.Head, TimelinePosition.Below(horizon));
            if (rows.Count == 0)
            {
                // Nothing to tell the streams: only the head moves, and nobody is woken.
                Volatile.Write(ref _state, state with { Head = head });
                return (pending, horizon);
            }

            var entries = state.Entries.Concat(rows).ToArray();
            var floor = state.Floor;
            if (entries.Length > Capacity)
            {
                floor = entries[entries.Length - Capacity - 1].Position;
                entries = entries[^Capacity..];
            }

            Volatile.Write(ref _state, new State(entries, floor, head, NewSignal(), Live: true));
            state.Advanced.TrySetResult();
            if (!full)
            {
                return (pending, horizon);
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override void Dispose()
    {
        _wake.Dispose();
        base.Dispose();
    }
}
