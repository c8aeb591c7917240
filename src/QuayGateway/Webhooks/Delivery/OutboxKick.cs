using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using QuayGateway.Hosting;
using QuayGateway.Persistence;

namespace QuayGateway.Webhooks.Delivery;

/// <summary>
/// Starts the dispatcher for new outbox events: a save that adds events also adds a <see cref="WebhookDispatcher"/>
/// job to the job outbox, so the job commits (or rolls back) with the events. A burst of events becomes one dispatcher
/// job per outbox batch; <see cref="WebhookSweepJob"/> stays the safety net for anything older.
/// </summary>
public sealed class OutboxKick : SaveChangesInterceptor
{
    public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
        DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
    {
        AddDispatcherJob(eventData.Context);
        return ValueTask.FromResult(result);
    }

    public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
    {
        AddDispatcherJob(eventData.Context);
        return result;
    }

    private static void AddDispatcherJob(DbContext? context)
    {
        if (context is GatewayDb db && db.ChangeTracker.Entries<WebhookEvent>().Any(e => e.State == EntityState.Added))
        {
            db.EnqueueJob<WebhookDispatcher>(d => d.RunAsync(CancellationToken.None));
        }
    }
}
