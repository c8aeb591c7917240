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

    /// <summary>
    /// The outbox row of the unit of work under way (<see cref="JobOutbox"/>): its jobs go into one row, and its commit
    /// wakes the local dispatcher. Kept on the context itself, as a side table keyed by context would take a
    /// process-wide lock on every request. A pooled context may carry it over stale: the worst that does is one
    /// needless wake-up, and the next job starts a new row.
    /// </summary>
    internal OutboxJob? OutboxRow { get; set; }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(GatewayDb).Assembly);
    }
}
