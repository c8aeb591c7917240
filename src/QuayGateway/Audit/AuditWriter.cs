using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuayGateway.Hosting;
using QuayGateway.Persistence;

namespace QuayGateway.Audit;

/// <summary>
/// Writes what <see cref="AuditRecorder"/> holds to PostgreSQL, a batch per transaction: whatever is waiting, up to
/// <see cref="AuditOptions.BatchSize"/>, so under load batches grow and at rest an entry is written at once. Rate-limit
/// summaries are upserts that add to their minute's count. A failed write is logged at Error, counted and retried
/// (while PostgreSQL is out of reach, until it is back; otherwise three times, then entry by entry, dropping and counting
/// only those PostgreSQL refuses).
/// On shutdown it writes what is left; entries still in memory when the process dies are lost (see the README).
/// </summary>
public sealed class AuditWriter(
    AuditRecorder recorder,
    IServiceScopeFactory scopes,
    IOptions<AuditOptions> options,
    AuditMetrics metrics,
    ILogger<AuditWriter> logger) : BackgroundService
{
    private const int AttemptsForOtherErrors = 3;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<AuditEntry>();
        try
        {
            while (await recorder.Pending.WaitToReadAsync(stoppingToken))
            {
                Take(batch);
                await WriteAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the server has stopped taking requests; write what is left.
            using var drain = new CancellationTokenSource(DrainTimeout);
            try
            {
                do
                {
                    await WriteAsync(batch, drain.Token);
                    Take(batch);
                }
                while (batch.Count > 0);
            }
            catch (OperationCanceledException)
            {
                var left = batch.Count + recorder.Pending.Count;
                metrics.CountDropped(left);
                logger.LogError("Audit entries lost at shutdown: {Count} could not be written within {Timeout}", left, DrainTimeout);
            }
        }
    }

    private void Take(List<AuditEntry> batch)
    {
        batch.Clear();
        while (batch.Count < options.Value.BatchSize && recorder.Pending.TryRead(out var entry))
        {
            batch.Add(entry);
        }
    }

    private async Task WriteAsync(List<AuditEntry> batch, CancellationToken ct)
    {
        if (batch.Count == 0)
        {
            return;
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await InsertAsync(batch, ct);
                metrics.CountWritten(batch.Count);
                batch.Clear();
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                metrics.CountWriteFailure();
                var outage = ProblemDetailsSetup.DatabaseUnavailable(e);
                if (!outage && attempt >= AttemptsForOtherErrors)
                {
                    // Not an outage, so likely one entry PostgreSQL will not take: write the others one by one without it.
                    logger.LogError(e, "Writing {Count} audit entries failed {Attempts} times; writing them one by one", batch.Count, attempt);
                    await WriteEachAsync(batch, ct);
                    batch.Clear();
                    return;
                }

                logger.LogError(e, "Writing {Count} audit entries failed (attempt {Attempt}); retrying", batch.Count, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, 1 << Math.Min(attempt - 1, 5))), ct);
            }
        }
    }

    private async Task WriteEachAsync(List<AuditEntry> batch, CancellationToken ct)
    {
        foreach (var entry in batch)
        {
            try
            {
                await InsertAsync([entry], ct);
                metrics.CountWritten(1);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                metrics.CountWriteFailure();
                metrics.CountDropped(1);
                logger.LogError(e, "Audit entry dropped: PostgreSQL refused it ({Action} {Target} by {Actor}, status {Status}, request {RequestId})",
                    entry.Action, entry.Target, entry.Actor, entry.Status, entry.RequestId);
            }
        }
    }

    private async Task InsertAsync(List<AuditEntry> batch, CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDb>();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        db.AuditEntries.AddRange(batch.Where(e => e.Status != StatusCodes.Status429TooManyRequests));
        await db.SaveChangesAsync(ct);
        foreach (var summary in batch.Where(e => e.Status == StatusCodes.Status429TooManyRequests).GroupBy(e => (e.Actor, e.At)))
        {
            var first = summary.First();
            var count = summary.Sum(e => e.Count);
            await db.Database.ExecuteSqlInterpolatedAsync($"""
                INSERT INTO gateway.audit_entries (id, at, actor, tenant, action, target, outcome, status, request_id, count)
                VALUES ({first.Id}, {first.At}, {first.Actor}, {first.Tenant}, {first.Action}, {first.Target}, {first.Outcome}, {first.Status}, {first.RequestId}, {count})
                ON CONFLICT (actor, at) WHERE status = 429 DO UPDATE SET count = audit_entries.count + excluded.count
                """, ct);
        }

        await transaction.CommitAsync(ct);
        db.ChangeTracker.Clear();
    }
}
