using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuayGateway.Audit;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;

namespace QuayGateway.Rollout;

/// <summary>
/// Purges what outlived its use: the timeline of registries deleted long ago, idempotency records past their
/// window (<c>Gateway:Idempotency:Window</c>), audit entries older than <c>Gateway:Audit:Retention</c>, and expired
/// browser sessions. Webhook
/// events and deliveries have their own retention (<c>Gateway:Webhooks:Retention</c>, the webhook sweep).
/// Each purge is one statement, so running twice, or on two replicas at once, deletes nothing twice.
/// </summary>
public sealed class RetentionJob(
    GatewayDb db, IOptions<RetentionOptions> options, IOptions<IdempotencyOptions> idempotency, IOptions<AuditOptions> audit,
    TimeProvider time, ILogger<RetentionJob> logger)
{
    public const string RecurringId = "retention";

    [DisableConcurrentExecution(600)]
    [AutomaticRetry(Attempts = 0)]
    public async Task RunAsync(CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var deletedBefore = now - options.Value.DeletedRegistryTimeline;
        var timeline = await db.Set<RegistryEvent>()
            .Where(e => db.Set<Registry>().Any(r => r.Id == e.RegistryId && r.State == RegistryState.Deleted && r.UpdatedAt < deletedBefore))
            .ExecuteDeleteAsync(ct);
        var keysBefore = now - idempotency.Value.Window;
        var keys = await db.IdempotencyRecords.Where(r => r.CreatedAt < keysBefore).ExecuteDeleteAsync(ct);
        var auditBefore = now - audit.Value.Retention;
        var auditEntries = await db.AuditEntries.Where(e => e.At < auditBefore).ExecuteDeleteAsync(ct);
        var sessions = await db.BrowserSessions.Where(s => s.ExpiresAt <= now).ExecuteDeleteAsync(ct);
        if (timeline + keys + auditEntries + sessions > 0)
        {
            logger.LogInformation("Retention purged {Timeline} timeline entries of long-deleted registries, {Keys} idempotency records, {Audit} audit entries and {Sessions} expired browser sessions",
                timeline, keys, auditEntries, sessions);
        }
    }
}
