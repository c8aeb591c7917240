using System.Data.Common;
using System.Runtime.CompilerServices;
using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace QuayGateway.Webhooks.Delivery;

/// <summary>
/// Starts the dispatcher once outbox events are committed: after SaveChanges when it ran without an outer
/// transaction, else when that transaction commits. A kick lost to a crash is made up by <see cref="WebhookSweepJob"/>.
/// </summary>
public sealed class OutboxKick(IBackgroundJobClient jobs)
{
    private readonly ConditionalWeakTable<DbContext, object> _pending = [];

    public void Kick() => jobs.Enqueue<WebhookDispatcher>(d => d.RunAsync(CancellationToken.None));

    internal void NoteSaving(DbContext? context)
    {
        if (context is not null && context.ChangeTracker.Entries<WebhookEvent>().Any(e => e.State == EntityState.Added))
        {
            _pending.AddOrUpdate(context, this);
        }
    }

    internal void Committed(DbContext? context)
    {
        if (context is not null && _pending.Remove(context))
        {
            Kick();
        }
    }

    internal void Forget(DbContext? context)
    {
        if (context is not null)
        {
            _pending.Remove(context);
        }
    }

    /// <summary>Notes outbox rows before a save; kicks after it when no outer transaction is still open.</summary>
    public sealed class SaveChanges(OutboxKick kick) : SaveChangesInterceptor
    {
        public override ValueTask<InterceptionResult<int>> SavingChangesAsync(
            DbContextEventData eventData, InterceptionResult<int> result, CancellationToken cancellationToken = default)
        {
            kick.NoteSaving(eventData.Context);
            return ValueTask.FromResult(result);
        }

        public override InterceptionResult<int> SavingChanges(DbContextEventData eventData, InterceptionResult<int> result)
        {
            kick.NoteSaving(eventData.Context);
            return result;
        }

        public override ValueTask<int> SavedChangesAsync(SaveChangesCompletedEventData eventData, int result, CancellationToken cancellationToken = default)
        {
            AfterSave(eventData.Context);
            return ValueTask.FromResult(result);
        }

        public override int SavedChanges(SaveChangesCompletedEventData eventData, int result)
        {
            AfterSave(eventData.Context);
            return result;
        }

        public override void SaveChangesFailed(DbContextErrorEventData eventData) => kick.Forget(eventData.Context);

        public override Task SaveChangesFailedAsync(DbContextErrorEventData eventData, CancellationToken cancellationToken = default)
        {
            kick.Forget(eventData.Context);
            return Task.CompletedTask;
        }

        private void AfterSave(DbContext? context)
        {
            if (context?.Database.CurrentTransaction is null)
            {
                kick.Committed(context);
            }
        }
    }

    /// <summary>Kicks when the outer transaction that holds outbox rows commits; forgets them on rollback.</summary>
    public sealed class Transactions(OutboxKick kick) : DbTransactionInterceptor
    {
        public override Task TransactionCommittedAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            kick.Committed(eventData.Context);
            return Task.CompletedTask;
        }

        public override void TransactionCommitted(DbTransaction transaction, TransactionEndEventData eventData) => kick.Committed(eventData.Context);

        public override Task TransactionRolledBackAsync(DbTransaction transaction, TransactionEndEventData eventData, CancellationToken cancellationToken = default)
        {
            kick.Forget(eventData.Context);
            return Task.CompletedTask;
        }

        public override void TransactionRolledBack(DbTransaction transaction, TransactionEndEventData eventData) => kick.Forget(eventData.Context);
    }
}
