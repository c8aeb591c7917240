using System.Security.Cryptography;
using System.Text;

namespace QuayGateway.Security;

/// <summary>
/// Key format <c>qgw_&lt;id&gt;_&lt;secret&gt;</c>: the id finds the row, the secret is checked against its SHA-256 hash
/// (the secret is 32 random bytes, so a fast hash is enough; no password stretching is needed).
/// </summary>
public static class ApiKeySecrets
{
    private const string Prefix = "qgw_";

    public static (string Id, string Key, byte[] Hash) NewKey()
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();
        var secret = Base64Url(RandomNumberGenerator.GetBytes(32));
        return (id, $"{Prefix}{id}_{secret}", Hash(secret));
    }

    public static bool TryParse(string presented, out string id, out string secret)
    {
        id = secret = "";
        if (!presented.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        var rest = presented[Prefix.Length..];
        var separator = rest.IndexOf('_', StringComparison.Ordinal);
        if (separator <= 0 || separator == rest.Length - 1)
        {
            return false;
        }

        (id, secret) = (rest[..separator], rest[(separator + 1)..]);
        return true;
    }

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    public static bool Matches(string secret, byte[] hash) => CryptographicOperations.FixedTimeEquals(Hash(secret), hash);

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
