using System.Text.Json;
using Hangfire;
using Hangfire.Common;
using Hangfire.States;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;

namespace QuayGateway.Jobs;

/// <summary>
/// Moves committed <see cref="OutboxJob"/> rows into Hangfire, in every replica that runs jobs (by default; see
/// <see cref="JobsOptions.Dispatch"/>): woken at once by a local commit,
/// else every <see cref="JobsOptions.OutboxPollInterval"/>. A batch is claimed with <c>FOR UPDATE SKIP LOCKED</c> (replicas
/// share the work) and deleted in the same transaction after its jobs are enqueued, so a crash re-enqueues rather than
/// loses; the jobs are idempotent. Identical jobs in one batch (the webhook dispatcher after a burst) are enqueued once.
/// </summary>
public sealed class JobOutboxDispatcher(
    IServiceScopeFactory scopes, IBackgroundJobClient jobs, JobsOptions options, ILogger<JobOutboxDispatcher> logger)
    : BackgroundService
{
    private const int BatchSize = 100;
    private readonly SemaphoreSlim _wake = new(0, 1);

    public void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Another commit woke it first.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.Dispatches)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                while (await DispatchBatchAsync(stoppingToken) == BatchSize)
                {
                }
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // The rows stay; the next round tries again.
                logger.LogWarning(e, "Enqueuing jobs from the outbox failed; retrying in {Interval}", options.OutboxPollInterval);
            }

            try
            {
                await _wake.WaitAsync(options.OutboxPollInterval, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Enqueues one batch of committed rows and deletes them; returns how many rows it took.</summary>
    public async Task<int> DispatchBatchAsync(CancellationToken ct)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDb>();
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var rows = await db.OutboxJobs
            .FromSql($"""
                DELETE FROM gateway.outbox_jobs WHERE id IN
                  (SELECT id FROM gateway.outbox_jobs ORDER BY id LIMIT {BatchSize} FOR UPDATE SKIP LOCKED)
                RETURNING *
                """)
            .AsNoTracking()
            .ToListAsync(ct);
        if (rows.Count == 0)
        {
            return 0;
        }

        var enqueued = new HashSet<string>(StringComparer.Ordinal);
        foreach (var row in rows.OrderBy(r => r.Id))
        {
            foreach (var payload in PayloadsOf(row).Where(enqueued.Add))
            {
                Enqueue(payload, row);
            }
        }

        await transaction.CommitAsync(ct);
        return rows.Count;
    }

    private IReadOnlyList<string> PayloadsOf(OutboxJob row)
    {
        try
        {
            return row.Payloads();
        }
        catch (JsonException e)
        {
            // Not written by the gateway; kept, it would stop every batch after it.
            logger.LogError(e, "Dropped outbox row {Id}: its jobs are not a JSON array", row.Id);
            return [];
        }
    }

    private void Enqueue(string payload, OutboxJob row)
    {
        Job job;
        try
        {
            job = InvocationData.DeserializePayload(payload).DeserializeJob();
        }
        catch (JobLoadException e)
        {
            // Written by a version that had this job and this one does not: it can never run, so it is dropped.
            logger.LogError(e, "Dropped a job of outbox row {Id}: it no longer matches a job in this version", row.Id);
            return;
        }

        // The enqueue span is the request's child, and the job's span its child: one trace from request to job.
        using var span = JobTracing.StartEnqueue(job, row.TraceParent);
        jobs.Create(job, new EnqueuedState());
    }
}
