using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Quay;

/// <summary>What <c>GET /quay/credentials</c> and <c>/status</c> show of the stored credentials: never the secret.</summary>
/// <param name="Kind">How the token came about: <c>minted</c> (the gateway's durable token), <c>supplied</c> (given through PUT) or <c>initialize</c> (Quay's short-lived first-user token).</param>
/// <param name="Username">The Quay user the token acts as.</param>
/// <param name="Scopes">The token's OAuth scopes. For <c>minted</c> and <c>initialize</c> tokens, what Quay granted. For a <c>supplied</c> token, a verified lower bound: only the scopes Quay's answer to GET /api/v1/user/ with the token proves it holds (see scopesBasis); it may hold more.</param>
/// <param name="ScopesBasis"><c>granted</c>: the scopes Quay granted when the token was made. <c>verified-lower-bound</c>: a supplied token, whose scopes Quay does not disclose; scopes lists those its answers proved.</param>
/// <param name="UnverifiedScopes">For a supplied token, the scopes Quay's answers neither proved nor ruled out (the repository scopes always, since they show only against a repository); empty otherwise.</param>
/// <param name="ExpiresAt">When the token expires; null when it is not known (see expiresAtUnknownReason).</param>
/// <param name="ExpiresAtUnknownReason">Why expiresAt is null; null when it is known. Quay does not tell a token's bearer its expiry, so a supplied token's is never known.</param>
/// <param name="LastUsedAt">When the gateway last called Quay with it.</param>
/// <param name="LastError">Why the last call with it failed; null after a success.</param>
/// <param name="LastErrorAt">When the last call with it failed.</param>
/// <param name="Renewable">Whether the gateway can mint a new token when Quay refuses this one (it holds the user's password).</param>
/// <param name="AutomationOrganization">The Quay organization whose OAuth application minted the token; null for other kinds.</param>
public sealed record QuayCredentialsView(
    string Kind, string? Username, IReadOnlyList<string> Scopes, string ScopesBasis, IReadOnlyList<string> UnverifiedScopes,
    DateTimeOffset? ExpiresAt, string? ExpiresAtUnknownReason, DateTimeOffset? LastUsedAt, string? LastError,
    DateTimeOffset? LastErrorAt, bool Renewable, string? AutomationOrganization)
{
    public const string Granted = "granted";
    public const string VerifiedLowerBound = "verified-lower-bound";

    /// <summary>Every value of <see cref="ScopesBasis"/>, for the document's enum.</summary>
    public static readonly IReadOnlyList<string> ScopesBases = [Granted, VerifiedLowerBound];

    public static QuayCredentialsView? Of(QuayAccount? account)
    {
        if (account is not { ProtectedToken: not null })
        {
            return null;
        }

        var supplied = account.CredentialKind == QuayCredentialKind.Supplied;
        var scopes = account.Scopes?.Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return new(account.CredentialKind.ApiName(), account.CredentialUser ?? account.Username, scopes, supplied ? VerifiedLowerBound : Granted,
            supplied ? QuayTokenScopes.NotProven(scopes) : [],
            account.TokenExpiresAt, account.TokenExpiresAt is null ? QuayTokenScopes.ExpiryUnknownReason : null,
            account.LastUsedAt, account.LastError, account.LastErrorAt, account.ProtectedPassword is not null,
            account.AutomationOrganization);
    }
}

/// <summary>The Quay part of <c>/status</c>: the same summary as <c>GET /quay/credentials</c>.</summary>
public sealed class QuayAccessSummary(GatewayDb db) : IRegistryQuayAccess
{
    public async Task<RegistryQuayAccess?> ForAsync(Guid registryId, CancellationToken ct) =>
        QuayCredentialsView.Of(await db.QuayAccounts.AsNoTracking().SingleOrDefaultAsync(a => a.RegistryId == registryId, ct)) is { } v
            ? new RegistryQuayAccess(v.Kind, v.Username, v.Scopes, v.ScopesBasis, v.UnverifiedScopes, v.ExpiresAt, v.ExpiresAtUnknownReason,
                v.LastUsedAt, v.LastError, v.LastErrorAt, v.Renewable, v.AutomationOrganization)
            : null;
}

/// <summary>
/// Every call the gateway makes to a registry's Quay with stored credentials goes through here. A token Quay refuses
/// (or one past its expiry) is minted again when the gateway keeps a password for that (<see cref="QuayOptions.KeepBootstrapPassword"/>,
/// or credentials supplied with a password while it is on), and the call is made once more. Otherwise the answer is
/// 409 <c>quay-credentials-expired</c> (Quay refused it) or <c>quay-token-expired</c> (past its expiry), saying to PUT
/// credentials. Renewals and failures are timeline entries and webhook events.
/// </summary>
public sealed class QuayCredentials(
    GatewayDb db, IServiceScopeFactory scopes, QuayTokenVault vault, QuayTokenMinter minter, QuayDestinations destinations, TimeProvider time,
    ILogger<QuayCredentials> logger)
{
    private static readonly TimeSpan LastUsedResolution = TimeSpan.FromMinutes(1);

    /// <summary>Quay's answer to the call made with working credentials, or the problem that kept it from being made.</summary>
    public async Task<(QuayAnswer? Answer, QuayProblem? Problem)> CallAsync(
        Registry registry, Func<QuayTarget, string, Task<QuayAnswer>> call, CancellationToken ct)
    {
        var (target, refused) = destinations.For(registry);
        if (target is null)
        {
            return (null, refused);
        }

        var account = await db.QuayAccounts.AsNoTracking().SingleOrDefaultAsync(a => a.RegistryId == registry.Id, ct);
        string? token;
        if (!vault.TryOpen(account, out token, out var problem))
        {
            if (problem.Type != Hosting.ProblemTypes.QuayTokenExpired || account is null)
            {
                return (null, problem);
            }

            // Past its stored expiry: renew first when that is possible, without sending Quay a dead token.
            (token, var renewProblem) = await RenewAsync(registry, account, target, "the stored token expired", ct);
            if (token is null)
            {
                return (null, renewProblem!);
            }
        }

        try
        {
            var answer = await call(target, token);
            if (answer.TokenRejected)
            {
                var (renewed, renewProblem) = await RenewAsync(registry, account!, target, $"Quay no longer accepts the stored token (it answered {answer.Status})", ct);
                if (renewed is null)
                {
                    return (null, renewProblem);
                }

                answer = await call(target, renewed);
            }

            await TouchAsync(account!, ct);
            return (answer, null);
        }
        catch (QuayCallException e)
        {
            return (null, QuayProblem.FromCallFailure(e));
        }
    }

    /// <summary>Mints a new token with the kept password; null and the problem to answer when it cannot.</summary>
    private async Task<(string? Token, QuayProblem? Problem)> RenewAsync(Registry registry, QuayAccount account, QuayTarget target, string why, CancellationToken ct)
    {
        var password = vault.OpenPassword(account);
        if (password is null)
        {
            await RecordFailureAsync(registry, account, $"{why}; the gateway keeps no password to mint a new one.", ct);
            return (null, account.TokenExpiresAt is { } at && at <= time.GetUtcNow()
                ? QuayProblem.TokenExpired(at)
                : QuayProblem.CredentialsExpired(why));
        }

        var username = account.CredentialUser ?? account.Username;
        var (minted, failure) = await minter.MintAsync(target, registry.CurrentVersion, bearer: null, username, password,
            account.ScopesToMint, account.ClientId, AutomationEmail(account), ct);
        if (minted is null)
        {
            await RecordFailureAsync(registry, account, $"{why}; minting a new token failed: {failure!.Reason}", ct);
            return (null, QuayProblem.CredentialsExpired($"{why}; minting a new token failed: {failure.Reason}"));
        }

        await StoreAsync(registry.Id, minted, QuayCredentialKind.Minted, username, keepPassword: password, ct);
        var now = time.GetUtcNow();
        await AnnounceAsync(registry.Id, (own, r) =>
        {
            own.Record(r, TimelineEntryType.QuayCredentialsRenewed, "QuayCredentialsRenewed",
                $"{why}; minted a new Quay token for '{username}' through {minted.Path} (expires {minted.ExpiresAt:u}).", now);
            own.AddWebhookEvent(r, WebhookEventTypes.QuayCredentialsRenewed, now, new Dictionary<string, string>
            {
                ["username"] = username, ["expiresAt"] = minted.ExpiresAt.ToString("O"),
            });
        });
        logger.LogInformation("Renewed the Quay token of registry {RegistryId} through {Path}", registry.Id, minted.Path);
        return (minted.Token, null);
    }

    /// <summary>Stores a token (encrypted) and what is known about it; clears the last error.</summary>
    public async Task StoreAsync(Guid registryId, MintedQuayToken minted, QuayCredentialKind kind, string username, string? keepPassword, CancellationToken ct)
    {
        var protectedToken = vault.Protect(minted.Token);
        var protectedPassword = keepPassword is null ? null : vault.ProtectPassword(keepPassword);
        await db.QuayAccounts.Where(a => a.RegistryId == registryId).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.ProtectedToken, protectedToken)
            .SetProperty(a => a.TokenExpiresAt, minted.ExpiresAt)
            .SetProperty(a => a.CredentialKind, kind)
            .SetProperty(a => a.Scopes, minted.Scopes)
            .SetProperty(a => a.CredentialUser, username)
            .SetProperty(a => a.AutomationOrganization, minted.Organization.Length > 0 ? minted.Organization : null)
            .SetProperty(a => a.ClientId, minted.ClientId.Length > 0 ? minted.ClientId : null)
            .SetProperty(a => a.ProtectedPassword, protectedPassword)
            .SetProperty(a => a.LastError, (string?)null)
            .SetProperty(a => a.LastErrorAt, (DateTimeOffset?)null), CancellationToken.None);
    }

    private async Task RecordFailureAsync(Registry registry, QuayAccount account, string error, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var first = account.LastError is null; // announce a failure once, not on every call that meets it
        await db.QuayAccounts.Where(a => a.RegistryId == registry.Id).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.LastError, error).SetProperty(a => a.LastErrorAt, now), CancellationToken.None);
        account.LastError = error;
        if (first)
        {
            await AnnounceAsync(registry.Id, (own, r) =>
            {
                own.Record(r, TimelineEntryType.QuayCredentialsFailed, "QuayCredentialsFailed", $"{error} {QuayProblem.CredentialsRemedy}", now);
                own.AddWebhookEvent(r, WebhookEventTypes.QuayCredentialsFailed, now, new Dictionary<string, string> { ["reason"] = error });
            });
        }

        logger.LogWarning("Quay credentials of registry {RegistryId} failed: {Reason}", registry.Id, error);
    }

    private async Task TouchAsync(QuayAccount account, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (account.LastUsedAt is { } used && now - used < LastUsedResolution && account.LastError is null)
        {
            return;
        }

        await db.QuayAccounts.Where(a => a.RegistryId == account.RegistryId).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.LastUsedAt, now).SetProperty(a => a.LastError, (string?)null).SetProperty(a => a.LastErrorAt, (DateTimeOffset?)null), ct);
    }

    /// <summary>
    /// Adds a timeline entry and a webhook event about the registry in a unit of work of their own: a renewal happens
    /// in the middle of someone else's (a request, a job), whose tracked rows and unsaved changes stay as they were.
    /// </summary>
    private async Task AnnounceAsync(Guid registryId, Action<GatewayDb, Registry> add)
    {
        await using var scope = scopes.CreateAsyncScope();
        var own = scope.ServiceProvider.GetRequiredService<GatewayDb>();
        var registry = await own.Registries.AsNoTracking().SingleAsync(r => r.Id == registryId, CancellationToken.None);
        add(own, registry);
        await own.SaveChangesAsync(CancellationToken.None);
    }

    /// <summary>The automation organization's e-mail: Quay wants a unique one while mailing is on.</summary>
    public static string AutomationEmail(QuayAccount account)
    {
        var at = account.Email.LastIndexOf('@');
        return $"quaygateway-automation@{(at >= 0 ? account.Email[(at + 1)..] : "example.com")}";
    }
}
