using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Quay;

/// <summary>The 201 body of <c>POST /quay/initialize</c>: the only answer that ever carries the token.</summary>
/// <param name="Username">The user Quay created, a superuser when listed in SUPER_USERS.</param>
/// <param name="Email">The user's e-mail address.</param>
/// <param name="AccessToken">The OAuth token for Quay's API; shown only here, stored encrypted by the gateway.</param>
/// <param name="TokenExpiresAt">When the token expires.</param>
/// <param name="TokenKind"><c>minted</c> (a 10-year token of the automation organization's application) or <c>initialize</c> (Quay's 2.5-hour token).</param>
/// <param name="Warning">Why the durable token could not be minted, when the token is the short one.</param>
public sealed record QuayUserCreated(
    string Username, string Email, string AccessToken, DateTimeOffset TokenExpiresAt, string TokenKind = "minted", string? Warning = null);

/// <summary>
/// Creates Quay's first user through <c>/api/v1/user/initialize</c>, for the API and the declarative bootstrap alike.
/// The call is not idempotent, so it is claimed in PostgreSQL before it is sent, never repeated automatically, and
/// its token is committed before anyone is told about it. A call whose answer is lost is remembered: a later
/// "non-empty database" then means "initialized, token lost", not "someone else was first".
/// </summary>
public sealed class QuayInitializer(
    GatewayDb db,
    QuayClient quay,
    QuayDestinations destinations,
    QuayTokenVault vault,
    QuayTokenMinter minter,
    QuayCredentials credentials,
    IDataProtectionProvider dataProtection,
    IOptionsSnapshot<QuayOptions> options,
    TimeProvider time,
    ILogger<QuayInitializer> logger)
{
    private const string NonEmptyDatabase = "non-empty database";

    /// <param name="registry">The registry whose Quay is initialized.</param>
    /// <param name="user">The first user to create.</param>
    /// <param name="askAgainIfUnconfirmed">
    /// Whether to call again after an earlier call got no answer. True only on a person's request (the API, POST /retry);
    /// a re-run job must not repeat a call that may have worked.
    /// </param>
    /// <param name="ct">Cancels the call.</param>
    public async Task<(QuayUserCreated? Created, QuayProblem? Problem)> InitializeAsync(
        Registry registry, InitialUserRequest user, bool askAgainIfUnconfirmed, CancellationToken ct)
    {
        var (target, refused) = destinations.For(registry);
        if (target is null)
        {
            return (null, refused);
        }

        var now = time.GetUtcNow();
        var account = await db.QuayAccounts.FindAsync([registry.Id], ct);
        var refusal = account switch
        {
            { Status: QuayAccountStatus.Initialized } => QuayProblem.AlreadyInitialized(
                $"Quay's first user '{account.Username}' was created through the gateway on {account.InitializedAt:u}; its token is stored."),
            { Status: QuayAccountStatus.TokenLost } => QuayProblem.TokenLost(account.Username),
            { InFlightUntil: { } until } when until > now => QuayProblem.InFlight(),
            { Status: QuayAccountStatus.Unconfirmed } when !askAgainIfUnconfirmed => QuayProblem.Unconfirmed(),
            _ => null,
        };
        if (refusal is not null)
        {
            return (null, refusal);
        }

        var askedBefore = account is not null;
        account = await ClaimAsync(registry, account, user, now, ct);
        if (account is null)
        {
            return (null, QuayProblem.InFlight());
        }

        QuayAnswer answer;
        try
        {
            answer = await quay.InitializeUserAsync(target, user.Username, user.Password, user.Email, ct);
        }
        catch (QuayCallException e) when (!e.MaybeDelivered)
        {
            await ReleaseAsync(account, askedBefore);
            return (null, QuayProblem.FromCallFailure(e));
        }
        catch (QuayCallException e)
        {
            await RecordUnconfirmedAsync(registry, account, e.Message);
            return (null, QuayProblem.FromCallFailure(e,
                "Quay may or may not have created the user; the gateway does not repeat user/initialize by itself. Initialize again " +
                "(or POST /retry) to ask Quay: if the user exists, the answer is 409 quay-token-lost."));
        }

        if (answer.IsSuccess && (string?)answer.Json?["access_token"] is { Length: > 0 } token)
        {
            var created = await StoreTokenAsync(registry, account, user, token);
            return (await MakeDurableAsync(registry, target, user, created), null);
        }

        if (answer.Status == 404)
        {
            await ReleaseAsync(account, askedBefore);
            return (null, QuayProblem.UserInitializeDisabled(answer));
        }

        if (answer.Status == 400 && answer.Message.Contains(NonEmptyDatabase, StringComparison.Ordinal) || answer.IsSuccess)
        {
            if (askedBefore || answer.IsSuccess)
            {
                await RecordTokenLostAsync(registry, account);
                return (null, QuayProblem.TokenLost(user.Username));
            }

            await ReleaseAsync(account, askedBefore);
            return (null, QuayProblem.AlreadyInitialized(
                $"Quay answered 400 \"{answer.Message}\": its first user was created outside the gateway, so there is no token to keep."));
        }

        if (answer.Status == 400)
        {
            await ReleaseAsync(account, askedBefore);
            return (null, QuayProblem.FromAnswer(answer, "create the user"));
        }

        // Quay failed mid-way (a 5xx, or 403 "could not login" after creating the user): the outcome is unknown.
        await RecordUnconfirmedAsync(registry, account, $"Quay answered {answer.Status} {answer.Message}");
        return (null, QuayProblem.FromAnswer(answer, "create the user"));
    }

    /// <summary>Writes the claim before the call; null when another caller claimed it first.</summary>
    private async Task<QuayAccount?> ClaimAsync(Registry registry, QuayAccount? account, InitialUserRequest user, DateTimeOffset now, CancellationToken ct)
    {
        if (account is null)
        {
            account = new QuayAccount { RegistryId = registry.Id, Username = user.Username, Email = user.Email };
            db.QuayAccounts.Add(account);
        }

        account.Username = user.Username;
        account.Email = user.Email;
        account.AttemptedAt = now;
        // Past this, a claim left by a dead process no longer blocks: the call cannot still be running.
        account.InFlightUntil = now + options.Value.Timeout * 2;
        try
        {
            await db.SaveChangesAsync(ct);
            return account;
        }
        catch (DbUpdateException)
        {
            db.ChangeTracker.Clear();
            return null;
        }
    }

    /// <summary>The call surely did nothing: forget the claim (but not an earlier unconfirmed call).</summary>
    private async Task ReleaseAsync(QuayAccount account, bool askedBefore)
    {
        if (askedBefore)
        {
            account.InFlightUntil = null;
        }
        else
        {
            db.QuayAccounts.Remove(account);
        }

        await db.SaveChangesAsync(CancellationToken.None);
    }

    private async Task<QuayUserCreated> StoreTokenAsync(Registry registry, QuayAccount account, InitialUserRequest user, string token)
    {
        var now = time.GetUtcNow();
        account.Status = QuayAccountStatus.Initialized;
        account.InFlightUntil = null;
        account.InitializedAt = now;
        account.ProtectedToken = vault.Protect(token);
        account.TokenExpiresAt = now + QuayClient.TokenLifetime;
        account.CredentialKind = QuayCredentialKind.Initialize;
        account.Scopes = QuayTokenMinter.InitializeScopes;
        account.CredentialUser = user.Username;
        // Committed on its own, before anything else can fail: the token must not be lost.
        await db.SaveChangesAsync(CancellationToken.None);
        await db.UpdateRegistryAsync(registry, r =>
        {
            ErasePassword(r);
            db.Record(r, TimelineEntryType.QuayUserInitialized, "QuayUserInitialized", $"Created Quay's first user '{user.Username}' and stored its token (expires {account.TokenExpiresAt:u}).", now);
            db.AddWebhookEvent(r, WebhookEventTypes.QuayUserInitialized, now, new Dictionary<string, string> { ["username"] = user.Username });
        }, CancellationToken.None);
        logger.LogInformation("Initialized Quay user {Username} for registry {RegistryId}", user.Username, registry.Id);
        return new QuayUserCreated(user.Username, user.Email, token, account.TokenExpiresAt.Value, "initialize");
    }

    /// <summary>
    /// Within the initialize token's lifetime, mints the durable token (see <see cref="QuayTokenMinter"/>) and stores it
    /// in place of the short one. The password stays in memory for this only, unless <see cref="QuayOptions.KeepBootstrapPassword"/>.
    /// When minting fails, the short token stays and the answer says so.
    /// </summary>
    private async Task<QuayUserCreated> MakeDurableAsync(Registry registry, QuayTarget target, InitialUserRequest user, QuayUserCreated created)
    {
        var account = await db.QuayAccounts.AsNoTracking().SingleAsync(a => a.RegistryId == registry.Id);
        var (minted, failure) = await minter.MintAsync(target, registry.CurrentVersion, created.AccessToken, user.Username, user.Password,
            QuayTokenMinter.InitializeScopes, clientId: null, QuayCredentials.AutomationEmail(account), CancellationToken.None);
        var keep = options.Value.KeepBootstrapPassword ? user.Password : null;
        var now = time.GetUtcNow();
        db.ChangeTracker.Clear();
        if (minted is null)
        {
            if (keep is not null)
            {
                var protectedPassword = vault.ProtectPassword(keep);
                await db.QuayAccounts.Where(a => a.RegistryId == registry.Id)
                    .ExecuteUpdateAsync(s => s.SetProperty(a => a.ProtectedPassword, protectedPassword), CancellationToken.None);
            }

            var warning = $"The durable token could not be minted ({failure!.Reason}); the stored token is Quay's initialize token, which " +
                          $"expires at {created.TokenExpiresAt:u}. {QuayProblem.CredentialsRemedy}";
            await db.UpdateRegistryAsync(await db.Registries.SingleAsync(r => r.Id == registry.Id), r =>
                db.Record(r, TimelineEntryType.QuayDurableTokenFailed, "QuayDurableTokenFailed", warning, now), CancellationToken.None);
            logger.LogWarning("Minting a durable Quay token for registry {RegistryId} failed: {Reason}", registry.Id, failure.Reason);
            return created with { Warning = warning };
        }

        await credentials.StoreAsync(registry.Id, minted, QuayCredentialKind.Minted, user.Username, keep, CancellationToken.None);
        await db.UpdateRegistryAsync(await db.Registries.SingleAsync(r => r.Id == registry.Id), r =>
            db.Record(r, TimelineEntryType.QuayDurableTokenMinted, "QuayDurableTokenMinted",
                $"Minted a durable Quay token for '{user.Username}' in organization '{minted.Organization}' through {minted.Path} " +
                $"(expires {minted.ExpiresAt:u}); it replaces the initialize token.", now), CancellationToken.None);
        logger.LogInformation("Minted a durable Quay token for registry {RegistryId} through {Path}", registry.Id, minted.Path);
        return created with { AccessToken = minted.Token, TokenExpiresAt = minted.ExpiresAt, TokenKind = "minted" };
    }

    private async Task RecordUnconfirmedAsync(Registry registry, QuayAccount account, string why)
    {
        account.InFlightUntil = null;
        await db.SaveChangesAsync(CancellationToken.None);
        var now = time.GetUtcNow();
        await db.UpdateRegistryAsync(registry, r => db.Record(r, TimelineEntryType.QuayInitializeUnconfirmed, "QuayInitializeUnconfirmed",
            $"user/initialize got no clear answer ({why}); Quay may have created the user.", now), CancellationToken.None);
        logger.LogWarning("user/initialize for registry {RegistryId} has an unknown outcome: {Reason}", registry.Id, why);
    }

    private async Task RecordTokenLostAsync(Registry registry, QuayAccount account)
    {
        account.Status = QuayAccountStatus.TokenLost;
        account.InFlightUntil = null;
        await db.SaveChangesAsync(CancellationToken.None);
        var now = time.GetUtcNow();
        await db.UpdateRegistryAsync(registry, r =>
        {
            ErasePassword(r); // it can no longer be used
            db.Record(r, TimelineEntryType.QuayTokenLost, "QuayTokenLost", $"Quay's first user '{account.Username}' exists, but the answer that carried its token was lost.", now);
        }, CancellationToken.None);
        logger.LogWarning("Quay for registry {RegistryId} was initialized by a call whose answer was lost", registry.Id);
    }

    /// <summary>The initial user's password is kept only until the user exists.</summary>
    private void ErasePassword(Registry registry)
    {
        var secrets = RegistrySecrets.Unprotect(dataProtection, registry.ProtectedSecrets);
        if (secrets.InitialUserPassword is null)
        {
            return;
        }

        var kept = secrets with { InitialUserPassword = null };
        registry.ProtectedSecrets = kept.IsEmpty ? null : kept.Protect(dataProtection);
    }
}
