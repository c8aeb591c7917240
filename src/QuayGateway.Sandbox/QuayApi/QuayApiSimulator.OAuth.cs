namespace QuayGateway.Sandbox.QuayApi;

public sealed partial class QuayApiSimulator
{
    /// <summary>
    /// Revokes every access token of the registry's Quay (<c>namespace/name</c>), as an admin deleting them in Quay
    /// would; all registries when null. Returns how many were revoked.
    /// </summary>
    public int RevokeTokens(string? registry = null) =>
        _byRegistry.Where(r => registry is null || r.Key == registry).Sum(r => r.Value.Database.RevokeAllTokens());

    /// <summary>The Quay version a registry's Quay plays, or null when it is not open.</summary>
    public string? VersionOf(string registry) => _byRegistry.TryGetValue(registry, out var quay) ? quay.Version : null;
}
