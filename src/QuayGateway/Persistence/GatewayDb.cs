using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace QuayGateway.Persistence;

/// <summary>
/// The gateway's own tables, all in schema <c>gateway</c>. It names no feature: each feature owns its entities and
/// their <see cref="IEntityTypeConfiguration{TEntity}"/>s, applied from the assembly, and reaches its tables through
/// <c>Set&lt;T&gt;()</c> (features offer named sets as extension properties).
/// </summary>
public sealed class GatewayDb(DbContextOptions<GatewayDb> options) : DbContext(options), IDataProtectionKeyContext, INewRows
{
    public const string Schema = "gateway";

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    // New rows of a tracked unit of work go to the change tracker and are written by SaveChanges.
    void INewRows.Add<T>(T row) => Add(row);

    T? INewRows.FindNew<T>() where T : class =>
        ChangeTracker.Entries<T>().FirstOrDefault(e => e.State == EntityState.Added)?.Entity;

    bool INewRows.IsNew(object row) => Entry(row).State == EntityState.Added;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.HasDefaultSchema(Schema);
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(GatewayDb).Assembly);
    }
}
