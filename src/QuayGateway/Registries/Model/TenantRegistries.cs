using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Security;

namespace QuayGateway.Registries.Model;

public static class TenantRegistries
{
    /// <summary>The caller's registries only: another tenant's registry is simply not found.</summary>
    public static IQueryable<Registry> OfTenant(this GatewayDb db, ClaimsPrincipal user)
    {
        var tenant = user.Tenant();
        return db.Registries.Where(r => r.Tenant == tenant);
    }

    public static Task<Registry?> FindAsync(this IQueryable<Registry> registries, Guid id, CancellationToken ct) =>
        registries.SingleOrDefaultAsync(r => r.Id == id, ct);
}
