using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Jobs;
using QuayGateway.Quay;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Webhooks.Api;
using QuayGateway.Webhooks.Model;

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

    /// <summary>
    /// The rows of an insert-only unit of work under way (<see cref="NewRows.BeginInsertOnly"/>), such as a create; null
    /// when the unit of work goes through the change tracker. The tracker would give each row an entry, a temporary
    /// key and a fix-up pass, only to forget it after one INSERT.
    /// </summary>
    internal List<object>? InsertOnlyRows { get; set; }

    /// <summary>
    /// Adds a row this unit of work creates: to the insert-only unit of work when one is under way, otherwise to the
    /// change tracker for the next <c>SaveChanges</c>. Code that only appends (the timeline, webhook events, the job
    /// outbox) adds its rows this way and so works in both.
    /// </summary>
    public void AddNew<T>(T row) where T : class
    {
        if (InsertOnlyRows is { } rows)
        {
            rows.Add(row);
        }
        else
        {
            Add(row);
        }
    }

    /// <summary>Whether <paramref name="row"/> is new in this unit of work: added and not yet written.</summary>
    public bool IsAdded(object row) => InsertOnlyRows is { } rows ? rows.Contains(row) : Entry(row).State == EntityState.Added;

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        ThrowIfInsertOnly();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        ThrowIfInsertOnly();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    // A pooled context goes back with the unit of work it was given: the next lease starts without one.
    public override void Dispose()
    {
        InsertOnlyRows = null;
        base.Dispose();
    }

    public override ValueTask DisposeAsync()
    {
        InsertOnlyRows = null;
        return base.DisposeAsync();
    }

    // Rows added in an insert-only unit of work are not in the tracker: saving the tracker would lose them silently.
    private void ThrowIfInsertOnly()
    {
        if (InsertOnlyRows is not null)
        {
            throw new InvalidOperationException("An insert-only unit of work is under way: finish it with InsertNewRowsAsync.");
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(GatewayDb).Assembly);
    }
}
