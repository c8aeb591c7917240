using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;

namespace QuayGateway.Registries.Model;

/// <summary>The registry model's tables, named on <see cref="GatewayDb"/> (which itself names no feature).</summary>
public static class RegistryTables
{
    extension(GatewayDb db)
    {
        public DbSet<Registry> Registries => db.Set<Registry>();

        public DbSet<RegistryEvent> RegistryEvents => db.Set<RegistryEvent>();

        public DbSet<ObservedWorkloads> ObservedWorkloads => db.Set<ObservedWorkloads>();

        public DbSet<IdempotencyRecord> IdempotencyRecords => db.Set<IdempotencyRecord>();
    }
}
