using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;

namespace QuayGateway.Persistence;

/// <summary>
/// Optimistic concurrency, the one way: make a change and save it; when another writer (the watch, a job, a request)
/// saved the same row meanwhile, forget what is tracked and make the change again on rows read afresh.
/// </summary>
public static class ConcurrencyRetry
{
    public const int MaxAttempts = 6;

    /// <summary>
    /// Runs <paramref name="change"/> and saves, up to <see cref="MaxAttempts"/> times. <paramref name="change"/> gets
    /// the attempt number (0 first; from 1 on the tracker is empty, so read the rows again) and returns false when
    /// there is nothing to save. The last conflict is thrown.
    /// </summary>
    public static async Task SaveWithRetryAsync(this DbContext db, Func<int, CancellationToken, Task<bool>> change, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (!await change(attempt, ct))
            {
                return;
            }

            try
            {
                await db.SaveChangesAsync(ct);
                return;
            }
            catch (DbUpdateConcurrencyException e) when (attempt < MaxAttempts - 1)
            {
                // Expected under contention: one line with what conflicted, no stack (EF Core logs the conflict at Debug).
                var entities = string.Join(", ", e.Entries.Select(entry => entry.Metadata.ClrType.Name).Distinct());
                (db.GetInfrastructure().GetService(typeof(ILoggerFactory)) as ILoggerFactory)?
                    .CreateLogger(typeof(ConcurrencyRetry).FullName!)
                    .LogInformation("Concurrency conflict saving {Entities} (attempt {Attempt} of {MaxAttempts}); retrying on rows read afresh",
                        entities, attempt + 1, MaxAttempts);
                db.ChangeTracker.Clear();
            }
        }
    }
}
