using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>Where and with what a call to a registry's Quay goes: its checked destination and a working credential.</summary>
public sealed record QuayCall(QuayTarget Target, string Token);

/// <summary>
/// The one place the organization resources (robots, teams, quotas) get their Quay credential. It asks Quay who the
/// stored token is (<c>GET /api/v1/user/</c>) through <see cref="QuayCredentials"/>, so a token Quay refuses is
/// re-minted (or answered with <c>quay-credentials-expired</c>) before the operation's own calls, and the credential's
/// last use is kept. One extra round trip per day-2 operation buys that.
/// </summary>
public sealed class QuayAccess(QuayClient quay, QuayCredentials credentials)
{
    public async Task<(QuayCall? Call, QuayProblem? Problem)> OpenAsync(Registry registry, CancellationToken ct)
    {
        if (!registry.IsAvailable)
        {
            return (null, QuayProblem.NotAvailable(registry));
        }

        QuayCall? call = null;
        var (_, problem) = await credentials.CallAsync(registry, async (target, token) =>
        {
            call = new QuayCall(target, token); // the retry after a renewal replaces it with the new token
            return await quay.GetUserAsync(target, QuayAuth.Bearer(token), ct);
        }, ct);
        return problem is null ? (call, null) : (null, problem);
    }
}
