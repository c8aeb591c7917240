using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;

namespace QuayGateway.Jobs;

/// <summary>The job outbox's tables, named on <see cref="GatewayDb"/> (which itself names no feature).</summary>
public static class JobTables
{
    extension(GatewayDb db)
    {
        public DbSet<OutboxJob> OutboxJobs => db.Set<OutboxJob>();
    }
}
