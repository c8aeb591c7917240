using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;

namespace QuayGateway.Tenants;

/// <summary>The tenants' table, named on <see cref="GatewayDb"/> (which itself names no feature).</summary>
public static class TenantTables
{
    extension(GatewayDb db)
    {
        public DbSet<TenantPolicy> TenantPolicies => db.Set<TenantPolicy>();
    }
}
