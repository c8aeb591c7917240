using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace QuayGateway.Persistence;

/// <summary>Something in this process to wake once rows of <see cref="RowType"/> have committed.</summary>
public sealed record CommitSignal(Type RowType, Action Wake);

/// <summary>
/// Wakes in-process parties (the job outbox dispatcher, the timeline announcer) after a commit through
/// <c>SaveChanges</c> that wrote rows they care about. Inside an outer transaction the rows are not visible yet, so it
/// waits for that commit. A row saved earlier by the same context wakes them again: the worst that does is one
/// needless wake-up. Rows written without the change tracker (<see cref="NewRowsWriter"/>) are signalled by their writer.
/// </summary>
public sealed class CommitSignals(IEnumerable<CommitSignal> signals) : DbTransactionInterceptor, ISaveChangesInterceptor
{
    private readonly CommitSignal[] _signals = [.. signals];

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
        if (context?.Database.CurrentTransaction is null)
        {
            Committed(context);
        }
    }

    private void Committed(DbContext? context)
    {
        if (context is null)
        {
            return;
        }

        var tracker = context.ChangeTracker;
        var detectChanges = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false; // only asking what is tracked; nothing to compare
        try
        {
            var pending = _signals.Length;
            Span<bool> woken = stackalloc bool[_signals.Length];
            foreach (var entry in tracker.Entries())
            {
                for (var i = 0; i < _signals.Length && pending > 0; i++)
                {
                    if (!woken[i] && _signals[i].RowType.IsInstanceOfType(entry.Entity))
                    {
                        woken[i] = true;
                        pending--;
                        _signals[i].Wake();
                    }
                }

                if (pending == 0)
                {
                    return;
                }
            }
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = detectChanges;
        }
    }
}

public static class CommitSignalsSetup
{
    /// <summary>Calls what <paramref name="wake"/> returns after each commit through EF that wrote <typeparamref name="TRow"/> rows.</summary>
    public static IServiceCollection AddCommitSignal<TRow>(this IServiceCollection services, Func<IServiceProvider, Action> wake)
        where TRow : class
    {
        services.AddSingleton(sp => new CommitSignal(typeof(TRow), wake(sp)));
        return services;
    }

    internal static IServiceCollection AddCommitSignals(this IServiceCollection services)
    {
        services.AddSingleton<CommitSignals>();
        services.ConfigureDbContext<GatewayDb>((sp, db) => db.AddInterceptors(sp.GetRequiredService<CommitSignals>()));
        return services;
    }
}
