using System.Diagnostics;
using System.Linq.Expressions;
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
}
