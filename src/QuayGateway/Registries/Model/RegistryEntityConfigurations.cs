using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuayGateway.Persistence;

namespace QuayGateway.Registries.Model;

internal sealed class RegistryConfiguration : IEntityTypeConfiguration<Registry>
{
    public void Configure(EntityTypeBuilder<Registry> builder)
    {
        builder.ToTable("registries");
        builder.HasKey(r => r.Id);
        builder.Property(r => r.Tenant).HasMaxLength(63);
        builder.Property(r => r.Cluster).HasMaxLength(63);
        builder.Property(r => r.Namespace).HasMaxLength(63);
        builder.Property(r => r.Name).HasMaxLength(63);
        builder.Property(r => r.State).HasConversion<string>().HasMaxLength(20);
        builder.Property(r => r.Health).HasConversion<string>().HasMaxLength(20);
        builder.Property(r => r.Spec).HasJsonConversion();
        builder.Property(r => r.Conditions).HasJsonConversion();
        builder.Property(r => r.HealthCauses).HasJsonConversion();
        builder.Property(r => r.OperatorStatus).HasColumnType("jsonb");
        builder.Property(r => r.AppliedManifest).HasColumnType("jsonb");
        builder.Property(r => r.QuayRegistryUid).HasMaxLength(63);
        builder.Property(r => r.AppliedServerHostname).HasMaxLength(255);
        builder.Property(r => r.Version).IsRowVersion();
        builder.Ignore(r => r.ETag);
        builder.Ignore(r => r.IsAvailable);
        // One live registry per cluster/namespace/name; a Deleted one frees the name.
        builder.HasIndex(r => new { r.Cluster, r.Namespace, r.Name }).IsUnique().HasFilter("state <> 'Deleted'");
        // The list pages a tenant's registries newest first by (created_at, id), keyset: read backwards from the cursor
        // (a row comparison, an index condition), each index gives a page without sorting or skipping the tenant's rows.
        // One per filter, since a filter the index does not lead with is a scan of the tenant's rows until 51 match
        // (?namespace= read 40,000 rows a page at 100,000 in the reads benchmark). Lookups by (tenant, id) use the key.
        builder.HasIndex(r => new { r.Tenant, r.CreatedAt, r.Id });
        builder.HasIndex(r => new { r.Tenant, r.Cluster, r.CreatedAt, r.Id });
        // ?cluster=&state= together: both are large sets, and through either index above the other is a filter read
        // row by row (a tenant's 5,000 Failed rows for an empty answer); the plan of a prepared statement cannot know
        // which is smaller. Combinations with ?namespace= read that namespace's few rows.
        builder.HasIndex(r => new { r.Tenant, r.Cluster, r.State, r.CreatedAt, r.Id });
        builder.HasIndex(r => new { r.Tenant, r.Namespace, r.CreatedAt, r.Id });
        builder.HasIndex(r => new { r.Tenant, r.State, r.CreatedAt, r.Id });
        // /v1/status counts a tenant's registries by state and health from this index alone (an index-only scan, once
        // the visibility map is set). Its keys repeat, so B-tree deduplication keeps it tiny (35 pages for 40,000 rows,
        // against 354 for the ?state= index with health included, which was tried first).
        builder.HasIndex(r => new { r.Tenant, r.State, r.Health });
        // An update (the watcher writes status all the time) clears its page's all-visible bit until the next vacuum, and
        // the index-only scan above reads the heap page of every such row. Autovacuum's default waits for 20% of the rows
        // to change (20,000 at 100,000, enough to touch most of the table's pages); at 1% it comes back after ~1,000
        // updates or inserts, and with the visibility map set a vacuum only reads the pages changed since. 1% of the rows
        // updated at random (the reads benchmark) is already 5,799 heap fetches of 35,000 for one tenant's counts. ANALYZE
        // at 2% keeps relallvisible current, which the planner weighs when it chooses the index-only scan.
        builder.HasStorageParameter("autovacuum_vacuum_scale_factor", 0.01);
        builder.HasStorageParameter("autovacuum_vacuum_insert_scale_factor", 0.01);
        builder.HasStorageParameter("autovacuum_analyze_scale_factor", 0.02);
        // /v1/status lists the first 200 registries that need attention by name: the few rows this partial index holds,
        // in name order. The filter must say what GetFleetStatus's query says (RegistryLifecycle.Troubled, health
        // Degraded or Missing, not Deleted), or PostgreSQL cannot prove the query's rows are in it and sorts them all.
        builder.HasIndex(r => new { r.Tenant, r.Name }).HasDatabaseName("ix_registries_tenant_name_needs_attention")
            .HasFilter("state <> 'Deleted' AND (state IN ('Blocked', 'Degraded', 'Failed') OR health = 'Degraded' OR health = 'Missing')");
        // Whose namespace is it: a create looks for the tenant's own and any other tenant's live registry there, each an
        // index probe, however many registries the namespace holds.
        builder.HasIndex(r => new { r.Cluster, r.Namespace, r.Tenant }).HasFilter("state <> 'Deleted'");
    }
}

internal sealed class ObservedWorkloadsConfiguration : IEntityTypeConfiguration<ObservedWorkloads>
{
    public void Configure(EntityTypeBuilder<ObservedWorkloads> builder)
    {
        builder.ToTable("registry_workloads");
        builder.HasKey(w => w.RegistryId);
        builder.Property(w => w.Workloads).HasJsonConversion();
        builder.HasOne<Registry>().WithOne().HasForeignKey<ObservedWorkloads>(w => w.RegistryId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_registry_workloads_registries_registry_id"); // the name it had when the context named its sets
    }
}

internal sealed class RegistryEventConfiguration : IEntityTypeConfiguration<RegistryEvent>
{
    public void Configure(EntityTypeBuilder<RegistryEvent> builder)
    {
        builder.ToTable("registry_events");
        builder.HasKey(e => e.Id);
        // Stored by name, as the wire shows it; the names fit the column (OpenApiQualityTests checks).
        builder.Property(e => e.Type).HasConversion<string>().HasMaxLength(40);
        builder.Property(e => e.State).HasConversion<string>().HasMaxLength(20);
        builder.HasIndex(e => new { e.RegistryId, e.Id });
        // No foreign key to registries: the timeline is append-only and written only with its registry or after it,
        // and registries are never deleted (Deleted is a state). The key's check, a lookup and a row lock on the
        // registry for every entry, cost about a tenth of the create's PostgreSQL time.
    }
}

internal sealed class IdempotencyRecordConfiguration : IEntityTypeConfiguration<IdempotencyRecord>
{
    public void Configure(EntityTypeBuilder<IdempotencyRecord> builder)
    {
        builder.ToTable("idempotency_records");
        builder.HasKey(r => new { r.Tenant, r.Key });
        builder.Property(r => r.Key).HasMaxLength(255);
        builder.Property(r => r.ResponseBody).HasColumnType("jsonb");
        builder.HasIndex(r => r.CreatedAt);
    }
}
