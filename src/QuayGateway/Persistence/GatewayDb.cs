using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Quay;
using QuayGateway.Registries;
using QuayGateway.Security;
using QuayGateway.Webhooks;

namespace QuayGateway.Persistence;

/// <summary>The gateway's own tables, all in schema <c>gateway</c>.</summary>
public sealed class GatewayDb(DbContextOptions<GatewayDb> options) : DbContext(options), IDataProtectionKeyContext
{
    public const string Schema = "gateway";

    public DbSet<Registry> Registries => Set<Registry>();
    public DbSet<RegistryEvent> RegistryEvents => Set<RegistryEvent>();
    public DbSet<ObservedWorkloads> ObservedWorkloads => Set<ObservedWorkloads>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<IdempotencyRecord> IdempotencyRecords => Set<IdempotencyRecord>();
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();
    public DbSet<WebhookSubscription> WebhookSubscriptions => Set<WebhookSubscription>();
    public DbSet<WebhookEvent> WebhookEvents => Set<WebhookEvent>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    public DbSet<WebhookAttempt> WebhookAttempts => Set<WebhookAttempt>();
    public DbSet<WebhookTicketLink> WebhookTicketLinks => Set<WebhookTicketLink>();
    public DbSet<QuayAccount> QuayAccounts => Set<QuayAccount>();
    public DbSet<OutboxJob> OutboxJobs => Set<OutboxJob>();

    // Per unit of work, kept on the context itself (a side table keyed by context would take a process-wide lock on
    // every request). A pooled context may carry them over stale: the worst that does is one needless dispatcher
    // wake-up, and a dispatcher job no longer tracked is added again.

    /// <summary>Outbox jobs were added since the last commit: the commit wakes the local dispatcher.</summary>
    internal bool OutboxJobsPending { get; set; }

    /// <summary>The webhook dispatcher job this unit of work added (<see cref="WebhookOutbox"/>).</summary>
    internal OutboxJob? WebhookDispatcherJob { get; set; }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(GatewayDb).Assembly);
    }
}
