using System.Data.Common;
using System.Diagnostics;
using System.Linq.Expressions;
using System.Text.Json;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuayGateway.Persistence;

namespace QuayGateway.Jobs;

/// <summary>
/// The Hangfire jobs one unit of work asked for, waiting to be enqueued: one row, committed in the same transaction as
/// the change that needs them.
/// </summary>
public sealed class OutboxJob
{
    public long Id { get; init; }

    /// <summary>
    /// The jobs as Hangfire serializes them (type, method, arguments), as a JSON array in the order they were asked
    /// for. The same job asked for twice (the webhook dispatcher, for each event) is in it once.
    /// </summary>
    public string Jobs { get; private set; } = "[]";

    /// <summary>The W3C trace context of the code that asked for the jobs, so each job's span continues its trace.</summary>
    public string? TraceParent { get; init; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Adds a job unless the row already has it. Only while the row is unsaved.</summary>
    internal void Add(PreparedJob job)
    {
        if (Jobs == "[]")
        {
            Jobs = $"[{job.Payload}]";
        }
        // A payload is a JSON object whose values are strings or arrays of strings, so it can only occur in the array
        // as a whole element.
        else if (!Jobs.Contains(job.Payload, StringComparison.Ordinal))
        {
            Jobs = string.Concat(Jobs.AsSpan(0, Jobs.Length - 1), ",", job.Payload, "]");
        }
    }

    /// <summary>Each job's payload, as <see cref="Hangfire.Storage.InvocationData.DeserializePayload"/> reads it.</summary>
    public IReadOnlyList<string> Payloads()
    {
        using var jobs = JsonDocument.Parse(Jobs);
        return [.. jobs.RootElement.EnumerateArray().Select(job => job.GetRawText())];
    }
}

/// <summary>
/// Jobs that a request or a job asks for are written here, in the caller's unit of work, instead of being enqueued in
/// Hangfire straight away: the jobs are in PostgreSQL when the change is (a 202 means both are durable), without
/// Hangfire's synchronous client (two TransactionScope transactions and about ten blocking round trips per job) on
/// the request path. A unit of work writes one row however many jobs it asks for. <see cref="JobOutboxDispatcher"/>
/// enqueues committed rows; jobs are idempotent, so at least once is enough.
/// </summary>
public static class JobOutbox
{
    /// <summary>Asks for a job, enqueued once the next <c>SaveChanges</c> (or the open transaction) commits.</summary>
    public static void EnqueueJob<T>(this INewRows rows, Expression<Func<T, Task>> call) => rows.EnqueueJob(PreparedJob.Of(call));

    /// <summary>
    /// Asks for a job serialized beforehand: once per process for a call that never changes (<see cref="PreparedJob.Of{T}"/>),
    /// or from a <see cref="JobTemplate"/> for a call on one id. The unit of work's jobs share one outbox row, and
    /// asking again for a job it already has changes nothing.
    /// </summary>
    public static void EnqueueJob(this INewRows rows, PreparedJob job)
    {
        if (rows.FindNew<OutboxJob>() is not { } row)
        {
            row = new OutboxJob { TraceParent = Activity.Current?.Id };
            rows.Add(row);
        }

        row.Add(job);
    }

    /// <summary>
    /// Wakes the local dispatcher when outbox rows commit through <c>SaveChanges</c>; other replicas find them on their
    /// next poll. A row saved earlier by the same context wakes it again: the worst that does is one needless wake-up.
    /// </summary>
    public sealed class Interceptor(JobOutboxDispatcher dispatcher) : DbTransactionInterceptor, ISaveChangesInterceptor
    {
        public ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            AfterSave(eventData.Context);
            return ValueTask.FromResult(result);
        }

        public int SavedChanges(SaveChangesCompletedEventData eventData, int result)
        {
            AfterSave(eventData.Context);
            return result;
        }

        public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => Committed(eventData.Context);

        public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            Committed(eventData.Context);
            return Task.CompletedTask;
        }

        private void AfterSave(DbContext? context)
        {
            // Inside an outer transaction the rows are not visible yet: wait for its commit.
            if (context?.Database.CurrentTransaction is null)
            {
                Committed(context);
            }
        }

        private void Committed(DbContext? context)
        {
            if (context is not null && HoldsOutboxRows(context))
            {
                dispatcher.Wake();
            }
        }

        private static bool HoldsOutboxRows(DbContext context)
        {
            var tracker = context.ChangeTracker;
            var detectChanges = tracker.AutoDetectChangesEnabled;
            tracker.AutoDetectChangesEnabled = false; // only asking what is tracked; nothing to compare
            try
            {
                return tracker.Entries<OutboxJob>().Any();
            }
            finally
            {
                tracker.AutoDetectChangesEnabled = detectChanges;
            }
        }
    }
}

/// <summary>A job call as Hangfire serializes it, ready for the outbox.</summary>
public sealed record PreparedJob(string Payload)
{
    public static PreparedJob Of<T>(Expression<Func<T, Task>> call) =>
        new(InvocationData.SerializeJob(Job.FromExpression(call)).SerializePayload());
}

/// <summary>
/// A job call on one registry (or other id), serialized once with a placeholder id that <see cref="For"/> replaces:
/// the hot paths ask for jobs without building and serializing Hangfire's expression each time.
/// </summary>
public sealed class JobTemplate
{
    private static readonly string Placeholder = new Guid("00000000-7e57-4a11-9ace-401de4000000").ToString();
    private readonly string _payload;

    private JobTemplate(string payload) => _payload = payload;

    /// <summary>The call with its id as a parameter, e.g. <c>(job, id) =&gt; job.RunAsync(id, CancellationToken.None)</c>.</summary>
    public static JobTemplate Of<T>(Expression<Func<T, Guid, Task>> call)
    {
        var withPlaceholder = Expression.Lambda<Func<T, Task>>(
            new ReplaceParameter(call.Parameters[1], Expression.Constant(new Guid(Placeholder))).Visit(call.Body), call.Parameters[0]);
        var payload = PreparedJob.Of(withPlaceholder).Payload;
        return payload.Split(Placeholder).Length == 2
            ? new JobTemplate(payload)
            : throw new ArgumentException("The id must appear exactly once among the call's arguments.", nameof(call));
    }

    public PreparedJob For(Guid id) => new(_payload.Replace(Placeholder, id.ToString(), StringComparison.Ordinal));

    private sealed class ReplaceParameter(ParameterExpression parameter, Expression replacement) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == parameter ? replacement : node;
    }
}

internal sealed class OutboxJobConfiguration : IEntityTypeConfiguration<OutboxJob>
{
    public void Configure(EntityTypeBuilder<OutboxJob> builder)
    {
        builder.ToTable("outbox_jobs");
        builder.HasKey(j => j.Id);
        builder.Property(j => j.TraceParent).HasMaxLength(128);
    }
}
