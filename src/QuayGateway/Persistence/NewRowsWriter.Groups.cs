using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Npgsql;

namespace QuayGateway.Persistence;

public sealed partial class NewRowsWriter
{
    /// <summary>The spans of the guarded inserts (one per create, and one per group written); QuayGateway.* is traced.</summary>
    public const string ActivitySourceName = "QuayGateway.Persistence";

    private static readonly ActivitySource Tracing = new(ActivitySourceName);

    /// <summary>How many groups a writer sends at once, each on a connection of its own (tests block them all).</summary>
    internal static int GroupWriters => InsertGroups.MaxWriters;

    /// <summary>Guarded inserts of <paramref name="groupKey"/> queued for a writer, not yet taken (tests wait for them).</summary>
    internal int QueuedFor(string groupKey) => _groups?.QueuedFor(groupKey) ?? 0;

    /// <summary>Groups written as one statement (<see cref="InsertGuard.GroupCheck"/>) so far (tests check it is the way taken).</summary>
    internal long WholeGroupsWritten => _groups?.WholeGroups ?? 0;

    /// <summary>
    /// Group commit for guarded inserts. Under load, creates arrive faster than one at a time can be written, and each
    /// paid a transaction of its own: a round trip, PostgreSQL's start-up and commit of a statement batch, and a wake-up
    /// on each side. Here a guarded insert is queued; at most <see cref="MaxWriters"/> writers take what is queued and
    /// send each group of one <see cref="InsertGuard.GroupKey"/> as one Npgsql batch: every insert's two statements in
    /// turn, one implicit transaction, one commit. Idle, an insert is written at once, alone; busy, the queue fills while
    /// the writers work, so groups form by themselves, with no timer to wait for.
    /// <para>
    /// A group commits whole or not at all. When PostgreSQL refuses any of its statements (a duplicate, a deadlock),
    /// nothing of it was written, and each of its inserts is written again alone, so one insert's error is its own.
    /// Each insert's check still sees the rows of the inserts before it in the group (a later statement of the same
    /// transaction), so a quota counts them. A group of one statement's inserts whose guard has a
    /// <see cref="InsertGuard.GroupCheck"/> is written whole instead, by two statements whatever its size: the group's
    /// first statement (its locks), then one that checks and writes them all, the group check counting the members it
    /// admits where each check would have seen their rows.
    /// </para>
    /// <para>
    /// Traces: a writer runs outside any request (it serves many), so what it does is not put in the trace of the
    /// request that happened to start it. Each insert has its span in its request's trace ("insert", from queued to
    /// answered). A lone write is that span's child; a group is a span of its own, linked to each of its inserts' spans,
    /// and each of those is linked back to it.
    /// </para>
    /// </summary>
    private sealed class InsertGroups(NpgsqlDataSource database, Meter? meter)
    {
        /// <summary>The most inserts in one group: a create is about 60 parameters, and a group's latency grows with it.</summary>
        private const int MaxGroup = 32;

        /// <summary>
        /// Writers at once, each on a connection of its own, so that PostgreSQL works on every core. More make smaller
        /// groups: on 2 cores, 4 and 8 writers cost 2.5 and 3.0 times the baseline's CPU per create, 2 writers 2.1–2.4.
        /// </summary>
        public static readonly int MaxWriters = Math.Max(2, Environment.ProcessorCount);

        private readonly Histogram<int>? _sizes = meter?.CreateHistogram<int>(
            "quaygateway.database.insert_group.size", "{insert}",
            "Guarded inserts (creates) written in one transaction; outcome: committed, or split (refused, so each was written again alone).",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32] });

        private readonly ConcurrentQueue<Pending> _queue = new();
        private int _writers;
        private long _wholeGroups;

        public long WholeGroups => Interlocked.Read(ref _wholeGroups);

        public int QueuedFor(string groupKey) => _queue.Count(p => p.Guard.GroupKey == groupKey);

        public async Task<(TCheck Check, uint? Version)> InsertAsync<TCheck>(
            GuardedInsertStatement statement, InsertGuard guard, IReadOnlyList<object> rows, Func<NpgsqlDataReader, TCheck> readCheck)
        {
            using var span = Tracing.StartActivity("insert");
            var pending = new Pending(statement, guard, rows, reader => readCheck(reader), span);
            _queue.Enqueue(pending);
            StartWriterIfRoom();
            // Not cancelled with the request: once queued, the rows may be in a group being committed, and the caller must
            // learn whether they were (a create that was stored is answered, even to a client that has gone).
            var (check, version) = await pending.Done.Task;
            return ((TCheck)check!, version);
        }

        private void StartWriterIfRoom()
        {
            while (!_queue.IsEmpty)
            {
                var writers = Volatile.Read(ref _writers);
                if (writers >= MaxWriters)
                {
                    return; // a running writer takes it: each looks at the queue again before it stops
                }

                if (Interlocked.CompareExchange(ref _writers, writers + 1, writers) == writers)
                {
                    // Unsafe: without the caller's execution context, so not inside its request's trace or log scope.
                    ThreadPool.UnsafeQueueUserWorkItem(static groups => _ = groups.WriteAsync(), this, preferLocal: false);
                    return;
                }
            }
        }

        private async Task WriteAsync()
        {
            try
            {
                var taken = new List<Pending>(MaxGroup);
                while (true)
                {
                    taken.Clear();
                    while (taken.Count < MaxGroup && _queue.TryDequeue(out var next))
                    {
                        taken.Add(next);
                    }

                    if (taken.Count == 0)
                    {
                        break;
                    }

                    foreach (var group in taken.GroupBy(p => p.Guard.GroupKey))
                    {
                        await WriteGroupAsync([.. group]);
                    }
                }
            }
            finally
            {
                Interlocked.Decrement(ref _writers);
                StartWriterIfRoom(); // an insert queued after this writer's last look
            }
        }

        private async Task WriteGroupAsync(Pending[] group)
        {
            if (group.Length == 1)
            {
                if (await WriteAloneAsync(group[0]))
                {
                    RecordGroup(1, "committed");
                }

                return;
            }

            using var span = Tracing.StartActivity("insert group", ActivityKind.Client, parentContext: default,
                [DbSystem, new(GroupSizeTag, group.Length)],
                group.Where(p => p.Span is not null).Select(p => new ActivityLink(p.Span!.Context)));
            foreach (var pending in group)
            {
                pending.Span?.SetTag(GroupSizeTag, group.Length);
                if (span is not null)
                {
                    pending.Span?.AddLink(new ActivityLink(span.Context));
                }
            }

            try
            {
                (object? Check, uint? Version)[] answers;
                // The usual group is one statement's inserts alone (one kind of create): its batch is reused, as a lone
                // insert's is. A group mixing statements gets a batch of its own.
                var statement = group[0].Statement;
                var reused = group.All(p => p.Statement == statement);
                var batch = reused ? statement.RentGroup(group.Length) : new NpgsqlBatch();
                for (var i = 0; i < group.Length; i++)
                {
                    if (reused)
                    {
                        statement.BindGroupMember(batch, i, group[i].Guard, group[i].Rows);
                    }
                    else
                    {
                        group[i].Statement.AddTo(batch, group[i].Guard, group[i].Rows);
                    }
                }

                await using (var connection = await database.OpenConnectionAsync())
                {
                    batch.Connection = connection;
                    await using var reader = await batch.ExecuteReaderAsync();
                    Func<NpgsqlDataReader, object?>[] readChecks = [.. group.Select(p => p.ReadCheck)];
                    answers = reused
                        ? await statement.ReadGroupAsync(reader, readChecks)
                        : await GuardedInsertStatement.ReadEachAsync(reader, readChecks);
                }

                if (reused && statement.WritesGroupsWhole)
                {
                    Interlocked.Increment(ref _wholeGroups);
                }

                // As with a lone insert's: a batch that failed is left to the GC, one that succeeded is used again.
                if (reused)
                {
                    statement.ReturnGroup(batch);
                }
                else
                {
                    await batch.DisposeAsync();
                }

                RecordGroup(group.Length, "committed");
                // Only now: the group's transaction commits at the batch's end.
                for (var i = 0; i < group.Length; i++)
                {
                    group[i].Done.SetResult(answers[i]);
                }
            }
            catch (PostgresException)
            {
                // The server refused a statement and rolled the whole group back: each insert is written alone.
                RecordGroup(group.Length, "split");
                span?.SetTag(OutcomeTag, "split");
                foreach (var pending in group)
                {
                    await WriteAloneAsync(pending);
                }
            }
            catch (Exception e)
            {
                // The connection failed: whether the group committed is unknown, so none is written again.
                span?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
                foreach (var pending in group)
                {
                    pending.Done.SetException(e);
                }
            }
        }

        /// <summary>Writes one insert in a transaction of its own and answers it; false when it failed (its caller has the error).</summary>
        private async Task<bool> WriteAloneAsync(Pending pending)
        {
            using var span = Tracing.StartActivity("insert alone", ActivityKind.Client, pending.Span?.Context ?? default, [DbSystem]);
            try
            {
                await using var connection = await database.OpenConnectionAsync();
                pending.Done.SetResult(await pending.Statement.ExecuteAsync(connection, pending.Guard, pending.Rows, pending.ReadCheck, CancellationToken.None));
                return true;
            }
            catch (Exception e)
            {
                span?.SetStatus(ActivityStatusCode.Error, e.GetType().Name);
                pending.Done.SetException(e);
                return false;
            }
        }

        private void RecordGroup(int size, string outcome) => _sizes?.Record(size, new KeyValuePair<string, object?>(OutcomeTag, outcome));

        private const string GroupSizeTag = "quaygateway.insert_group.size";
        private const string OutcomeTag = "outcome";
        private static readonly KeyValuePair<string, object?> DbSystem = new("db.system.name", "postgresql");

        /// <param name="Span">The insert's span in its request's trace, when traced.</param>
        private sealed record Pending(
            GuardedInsertStatement Statement, InsertGuard Guard, IReadOnlyList<object> Rows, Func<NpgsqlDataReader, object?> ReadCheck, Activity? Span)
        {
            public TaskCompletionSource<(object? Check, uint? Version)> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
