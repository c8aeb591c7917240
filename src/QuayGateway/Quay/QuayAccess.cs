using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>Where and with what a call to a registry's Quay goes: its checked destination and the stored credential.</summary>
public sealed record QuayCall(QuayTarget Target, string Token);

/// <summary>
/// The one place the organization resources (robots, teams, quotas) get their Quay credential: the destination guard
/// and the stored token. Renewable credentials replace what this opens, and nothing else changes.
/// </summary>
public sealed class QuayAccess(GatewayDb db, QuayDestinations destinations, QuayTokenVault vault)
{
    public async Task<(QuayCall? Call, QuayProblem? Problem)> OpenAsync(Registry registry, CancellationToken ct)
    {
        if (!registry.IsAvailable)
        {
            return (null, QuayProblem.NotAvailable(registry));
        }

        var (target, refused) = destinations.For(registry);
        if (target is null)
        {
            return (null, refused);
        }

        return vault.TryOpen(await db.QuayAccounts.FindAsync([registry.Id], ct), out var token, out var problem)
            ? (new QuayCall(target, token), null)
            : (null, problem);
    }
}
