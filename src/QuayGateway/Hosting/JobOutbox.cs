using System.Data.Common;
using System.Diagnostics;
using System.Linq.Expressions;
using System.Runtime.CompilerServices;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuayGateway.Persistence;

namespace QuayGateway.Hosting;

/// <summary>A Hangfire job waiting to be enqueued, committed in the same transaction as the change that needs it.</summary>
public sealed class OutboxJob
{
    public long Id { get; init; }

    /// <summary>The job as Hangfire serializes it (type, method, arguments).</summary>
    public required string Job { get; init; }

    /// <summary>The W3C trace context of the code that asked for the job, so the job's span continues its trace.</summary>
    public string? TraceParent { get; init; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
}

/// <summary>
/// Jobs that a request or a job asks for are written here, in the caller's unit of work, instead of being enqueued in
/// Hangfire straight away: the job is in PostgreSQL when the change is (a 202 means both are durable), without
/// Hangfire's synchronous client (two TransactionScope transactions and about ten blocking round trips per job) on
/// the request path. <see cref="JobOutboxDispatcher"/> enqueues committed rows; jobs are idempotent, so at least once
/// is enough.
/// </summary>
public static class JobOutbox
{
    // Contexts that added rows since their last commit; the interceptor wakes the dispatcher when they commit.
    private static readonly ConditionalWeakTable<DbContext, object> Pending = [];

    /// <summary>Adds a job to enqueue once the next <c>SaveChanges</c> (or the open transaction) commits.</summary>
    public static void EnqueueJob<T>(this GatewayDb db, Expression<Func<T, Task>> call)
    {
        var job = Job.FromExpression(call);
        db.OutboxJobs.Add(new OutboxJob { Job = InvocationData.SerializeJob(job).SerializePayload(), TraceParent = Activity.Current?.Id });
        Pending.AddOrUpdate(db, Pending);
    }

    internal static bool TakePending(DbContext? context) => context is not null && Pending.Remove(context);

    /// <summary>
    /// Wakes the local dispatcher when rows commit; other replicas find them on their next poll. A failed save or a
    /// rollback leaves the mark in place: the worst it does is one needless wake-up.
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
            if (TakePending(context))
            {
                dispatcher.Wake();
            }
        }
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
