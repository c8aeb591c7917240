using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace QuayGateway.Audit;

internal sealed class AuditEntryConfiguration : IEntityTypeConfiguration<AuditEntry>
{
    public void Configure(EntityTypeBuilder<AuditEntry> builder)
    {
        builder.ToTable("audit_entries");
        builder.HasKey(e => e.Id);
        builder.Property(e => e.Actor).HasMaxLength(AuditLimits.Actor);
        builder.Property(e => e.Tenant).HasMaxLength(63);
        builder.Property(e => e.Action).HasMaxLength(AuditLimits.Action);
        builder.Property(e => e.Target).HasMaxLength(AuditLimits.Target);
        builder.Property(e => e.Outcome).HasMaxLength(20);
        builder.Property(e => e.RequestId).HasMaxLength(AuditLimits.RequestId);
        // The list's keyset order, per tenant (tenant admins) and overall (platform admins); the purge uses the second.
        builder.HasIndex(e => new { e.Tenant, e.At, e.Id });
        builder.HasIndex(e => new { e.At, e.Id });
        // One rate-limit summary per actor and minute, whichever replica or flush adds to it.
        builder.HasIndex(e => new { e.Actor, e.At }).IsUnique().HasFilter("status = 429").HasDatabaseName(AuditLimits.RateLimitSummaryIndex);
    }
}

internal static class AuditLimits
{
    public const int Actor = 200;
    public const int Action = 100;
    public const int Target = 500;
    public const int RequestId = 100;
    public const string RateLimitSummaryIndex = "ix_audit_entries_rate_limit_summary";
}
