using System.Security.Cryptography;
using System.Text;

namespace QuayGateway.Tests.Webhooks;

/// <summary>
/// What a receiver using the reference <c>standardwebhooks</c> library checks, written independently of the gateway's
/// signer: all three headers present, a timestamp within 5 minutes, and at least one <c>v1,</c> entry of the
/// space-separated signature list equal to base64(HMAC-SHA256(base64-decoded secret, "id.timestamp.body")).
/// </summary>
public static class StandardWebhooksVerifier
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    public static bool Verify(string secret, string? id, string? timestamp, string? signatures, string body, DateTimeOffset? now = null)
    {
        if (id is null || timestamp is null || signatures is null || !long.TryParse(timestamp, out var seconds))
        {
            return false;
        }

        if ((DateTimeOffset.FromUnixTimeSeconds(seconds) - (now ?? DateTimeOffset.UtcNow)).Duration() > Tolerance)
        {
            return false;
        }

        var key = Convert.FromBase64String(secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret[6..] : secret);
        using var hmac = new HMACSHA256(key);
        var expected = Encoding.ASCII.GetBytes(Convert.ToBase64String(hmac.ComputeHash(Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"))));
        foreach (var entry in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var comma = entry.IndexOf(',', StringComparison.Ordinal);
            if (comma > 0 && entry[..comma] == "v1"
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(entry[(comma + 1)..]), expected))
            {
                return true;
            }
        }

        return false;
    }

    public static bool Verify(string secret, ReceivedRequest request) =>
        Verify(secret, request.Header("webhook-id"), request.Header("webhook-timestamp"), request.Header("webhook-signature"), request.Body);
}
