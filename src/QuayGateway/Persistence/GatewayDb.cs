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

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(GatewayDb).Assembly);
    }
}
