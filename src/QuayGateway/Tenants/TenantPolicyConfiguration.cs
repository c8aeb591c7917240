using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuayGateway.Persistence;

namespace QuayGateway.Tenants;

internal sealed class TenantPolicyConfiguration : IEntityTypeConfiguration<TenantPolicy>
{
    public void Configure(EntityTypeBuilder<TenantPolicy> builder)
    {
        builder.ToTable("tenant_policies");
        builder.HasKey(p => p.Tenant);
        builder.Property(p => p.Tenant).HasMaxLength(63);
        builder.Property(p => p.Quotas).HasJsonConversion();
        builder.Property(p => p.RateLimit).HasJsonConversion();
    }
}
