using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;

namespace QuayGateway.Security;

/// <summary>The configured bootstrap key (a platform admin), held only as a hash and compared in constant time.</summary>
public sealed class BootstrapKey(string? key)
{
    public const string Tenant = "default";

    private readonly byte[]? _hash = string.IsNullOrEmpty(key) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>Who the bootstrap key is: a platform admin, in the default tenant.</summary>
    public ClaimsPrincipal Principal { get; } = ApiKeyAuthenticationHandler.PrincipalFor("bootstrap", Tenant, [Scopes.PlatformAdmin]);

    public bool Matches(string presented) =>
        _hash is not null && CryptographicOperations.FixedTimeEquals(_hash, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
}
