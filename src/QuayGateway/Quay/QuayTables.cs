using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;

namespace QuayGateway.Quay;

/// <summary>Quay's tables, named on <see cref="GatewayDb"/> (which itself names no feature).</summary>
public static class QuayTables
{
    extension(GatewayDb db)
    {
        public DbSet<QuayAccount> QuayAccounts => db.Set<QuayAccount>();
    }
}
