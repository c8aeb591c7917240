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
