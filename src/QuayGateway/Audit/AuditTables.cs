using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;

namespace QuayGateway.Audit;

/// <summary>The audit log's table, named on <see cref="GatewayDb"/> (which itself names no feature).</summary>
public static class AuditTables
{
    extension(GatewayDb db)
    {
        public DbSet<AuditEntry> AuditEntries => db.Set<AuditEntry>();
    }
}
