using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;

namespace QuayGateway.Security;

/// <summary>Security's tables, named on <see cref="GatewayDb"/> (which itself names no feature).</summary>
public static class SecurityTables
{
    extension(GatewayDb db)
    {
        public DbSet<ApiKey> ApiKeys => db.Set<ApiKey>();

        public DbSet<BrowserSession> BrowserSessions => db.Set<BrowserSession>();
    }
}
