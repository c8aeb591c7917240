using Hangfire;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Registries;

namespace QuayGateway.Rollout;

/// <summary>
/// Recurring safety net: a request stored but never enqueued (the process died between commit and enqueue)
/// is picked up here, so nothing accepted is lost.
/// </summary>
public sealed class ResyncJob(GatewayDb db, IBackgroundJobClient jobs, ILogger<ResyncJob> logger)
{
    public const string RecurringId = "resync";

    /// <summary>Only requests older than this are re-enqueued, so a fresh one is not enqueued twice in the normal path.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(30);

    [DisableConcurrentExecution(60)]
    public async Task RunAsync(CancellationToken ct)
    {
        var before = DateTimeOffset.UtcNow - Grace;
        var stranded = await db.Registries.AsNoTracking()
            .Where(r => r.State == RegistryState.Accepted && r.UpdatedAt < before)
            .Select(r => r.Id)
            .ToListAsync(ct);
        foreach (var id in stranded)
        {
            jobs.Enqueue<ApplyRegistryJob>(job => job.RunAsync(id, CancellationToken.None));
        }

        if (stranded.Count > 0)
        {
            logger.LogInformation("Resync re-enqueued {Count} accepted registries", stranded.Count);
        }
    }
}
