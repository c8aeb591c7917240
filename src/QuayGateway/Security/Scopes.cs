using System.Security.Claims;

namespace QuayGateway.Security;

/// <summary>The scopes a key or token can carry. <c>admin</c> implies every other scope.</summary>
public static class Scopes
{
    public const string RegistriesRead = "registries:read";
    public const string RegistriesWrite = "registries:write";
    public const string QuayAdmin = "quay:admin";
    public const string WebhooksAdmin = "webhooks:admin";
    public const string Admin = "admin";
    public const string PlatformAdmin = "platform:admin";

    public static readonly IReadOnlyList<string> All = [RegistriesRead, RegistriesWrite, QuayAdmin, WebhooksAdmin, Admin];

    public const string ScopeClaim = "scope";
    public const string TenantClaim = "tenant";

    public static bool HasScope(this ClaimsPrincipal user, string scope) =>
        user.HasClaim(ScopeClaim, scope) || user.HasClaim(ScopeClaim, Admin);

    /// <summary>The caller's tenant; every registry and webhook query is filtered by it.</summary>
    public static string Tenant(this ClaimsPrincipal user) =>
        user.FindFirstValue(TenantClaim) ?? throw new InvalidOperationException("Authenticated principal has no tenant.");
}
