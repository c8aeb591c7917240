using System.Security.Claims;
using System.Text.RegularExpressions;

namespace QuayGateway.Security;

/// <summary>
/// The scopes a key or token can carry. <c>platform:admin</c> implies every other scope, for every tenant.
/// <c>admin</c> implies the other scopes of its own tenant (its keys, registries, Quay and webhooks), never
/// <c>platform:admin</c>.
/// </summary>
public static partial class Scopes
{
    public const string RegistriesRead = "registries:read";
    public const string RegistriesWrite = "registries:write";
    public const string QuayAdmin = "quay:admin";
    public const string WebhooksAdmin = "webhooks:admin";
    public const string Admin = "admin";
    public const string PlatformAdmin = "platform:admin";

    public static readonly IReadOnlyList<string> All = [RegistriesRead, RegistriesWrite, QuayAdmin, WebhooksAdmin, Admin, PlatformAdmin];

    public const string ScopeClaim = "scope";
    public const string TenantClaim = "tenant";

    public static bool HasScope(this ClaimsPrincipal user, string scope) =>
        user.HasClaim(ScopeClaim, scope)
        || user.HasClaim(ScopeClaim, PlatformAdmin)
        || (scope != PlatformAdmin && user.HasClaim(ScopeClaim, Admin));

    public static bool IsPlatformAdmin(this ClaimsPrincipal user) => user.HasClaim(ScopeClaim, PlatformAdmin);

    /// <summary>The caller's tenant; every registry and webhook query is filtered by it.</summary>
    public static string Tenant(this ClaimsPrincipal user) =>
        user.FindFirstValue(TenantClaim) ?? throw new InvalidOperationException("Authenticated principal has no tenant.");

    /// <summary>Whether <paramref name="tenant"/> is a valid tenant name: a DNS-1123 label.</summary>
    public static bool IsValidTenant(string tenant) => tenant.Length <= 63 && TenantName().IsMatch(tenant);

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex TenantName();
}
