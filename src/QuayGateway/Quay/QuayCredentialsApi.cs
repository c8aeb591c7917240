using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>The body of <c>PUT /quay/credentials</c>: a Quay OAuth token, or a user's name and password to mint one with.</summary>
/// <param name="Token">A Quay OAuth token (Organization, Applications, Generate Token). Not with <c>username</c> and <c>password</c>.</param>
/// <param name="Username">A Quay superuser's name, to mint a durable token with; with <c>password</c>.</param>
/// <param name="Password">That user's password. Stored encrypted, to mint again when Quay refuses the token.</param>
public sealed record QuayCredentialsRequest(string? Token = null, string? Username = null, string? Password = null)
{
    /// <summary>Never the secrets.</summary>
    public override string ToString() => Token is not null ? "token" : $"user {Username}";
}

/// <summary><c>GET</c> and <c>PUT /v1/registries/{id}/quay/credentials</c>.</summary>
public static class QuayCredentialsApi
{
    private const int MaxTokenLength = 4096;

    private static bool IsHeaderToken(string token) => token.Length is > 0 and <= MaxTokenLength && token.All(c => c is > ' ' and <= '~');

    public static readonly QuayCredentialsRequest Example = new(Token: "<a token from Quay: Organization → Applications → Generate Token>");

    public static async Task<Results<Ok<QuayCredentialsView>, ProblemHttpResult>> GetAsync(Guid id, ClaimsPrincipal user, GatewayDb db, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).AsNoTracking().FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var account = await db.QuayAccounts.AsNoTracking().SingleOrDefaultAsync(a => a.RegistryId == id, ct);
        return QuayCredentialsView.Of(account) is { } view
            ? TypedResults.Ok(view)
            : account is { Status: QuayAccountStatus.TokenLost } ? QuayProblem.TokenLost(account.Username).ToResult() : QuayProblem.TokenMissing().ToResult();
    }

    public static async Task<Results<Ok<QuayCredentialsView>, ValidationProblem, ProblemHttpResult>> PutAsync(
        Guid id, QuayCredentialsRequest request, ClaimsPrincipal user, GatewayDb db, QuayClient quay, QuayDestinations destinations,
        QuayTokenMinter minter, QuayCredentials credentials, IOptionsSnapshot<QuayOptions> options, TimeProvider time, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var errors = new Dictionary<string, string[]>();
        var byToken = !string.IsNullOrWhiteSpace(request.Token);
        var byPassword = !string.IsNullOrWhiteSpace(request.Username) || !string.IsNullOrEmpty(request.Password);
        if (byToken == byPassword)
        {
            errors["token"] = ["Give either token, or username and password."];
        }
        else if (byToken && !IsHeaderToken(request.Token!.Trim()))
        {
            // It travels in an Authorization header: visible ASCII only, as every token Quay issues is.
            errors["token"] = [$"A Quay token is 1 to {MaxTokenLength} visible ASCII characters, without spaces."];
        }
        else if (byPassword && (string.IsNullOrWhiteSpace(request.Username) || string.IsNullOrEmpty(request.Password)))
        {
            errors[string.IsNullOrWhiteSpace(request.Username) ? "username" : "password"] = ["Both username and password are required."];
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (!registry.IsAvailable)
        {
            return QuayProblem.NotAvailable(registry).ToResult();
        }

        var (target, refused) = destinations.For(registry);
        if (target is null)
        {
            return refused!.ToResult();
        }

        var account = await db.QuayAccounts.AsNoTracking().SingleOrDefaultAsync(a => a.RegistryId == id, ct);
        MintedQuayToken stored;
        string username;
        string? email;
        string? keep = null;
        QuayCredentialKind kind;
        try
        {
            if (byToken)
            {
                // Quay's own view of the token's user is the check: a token it does not know is anonymous there (401).
                var token = request.Token!.Trim();
                var answer = await quay.GetUserAsync(target, QuayAuth.Bearer(token), ct);
                if (!answer.IsSuccess || (string?)answer.Json?["username"] is not { } name)
                {
                    return QuayProblem.CredentialsInvalid($"Quay does not accept the token: {answer.Status} {answer.Message}", answer).ToResult();
                }

                username = name;
                email = (string?)answer.Json?["email"];
                kind = QuayCredentialKind.Supplied;
                // Quay does not disclose the token's scopes: keep what its answer proves (a lower bound).
                stored = new MintedQuayToken(token, DateTimeOffset.MaxValue, string.Join(' ', QuayTokenScopes.ProvenBy(answer.Json)), "", "", "PUT credentials");
            }
            else
            {
                username = request.Username!.Trim();
                email = account?.Email;
                var (minted, failure) = await minter.MintAsync(target, registry.CurrentVersion, bearer: null, username, request.Password,
                    account?.ScopesToMint ?? QuayTokenMinter.InitializeScopes, account?.CredentialUser == username ? account.ClientId : null,
                    account is null ? "quaygateway-automation@example.com" : QuayCredentials.AutomationEmail(account), ct);
                if (minted is null)
                {
                    return QuayProblem.CredentialsInvalid($"The gateway could not mint a token as '{username}': {failure!.Reason}", failure.Answer).ToResult();
                }

                stored = minted;
                kind = QuayCredentialKind.Minted;
                keep = options.Value.KeepBootstrapPassword ? request.Password : null;
            }
        }
        catch (QuayCallException e)
        {
            return QuayProblem.FromCallFailure(e).ToResult();
        }

        if (account is null)
        {
            db.QuayAccounts.Add(new QuayAccount
            {
                RegistryId = id, Username = username, Email = email ?? "", Status = QuayAccountStatus.Initialized, AttemptedAt = time.GetUtcNow(),
                InitializedAt = time.GetUtcNow(),
            });
            await db.SaveChangesAsync(CancellationToken.None);
        }
        else if (account.Status != QuayAccountStatus.Initialized)
        {
            // Working credentials settle an unconfirmed or lost initialize: Quay has its user, and the gateway can act.
            await db.QuayAccounts.Where(a => a.RegistryId == id).ExecuteUpdateAsync(s => s
                .SetProperty(a => a.Status, QuayAccountStatus.Initialized).SetProperty(a => a.InFlightUntil, (DateTimeOffset?)null), CancellationToken.None);
        }

        await credentials.StoreAsync(id, stored, kind, username, keep, CancellationToken.None);
        if (kind == QuayCredentialKind.Supplied)
        {
            // Quay tells no bearer its token's expiry: it stays unknown (the view says why).
            await db.QuayAccounts.Where(a => a.RegistryId == id).ExecuteUpdateAsync(s => s
                .SetProperty(a => a.TokenExpiresAt, (DateTimeOffset?)null), CancellationToken.None);
        }

        var now = time.GetUtcNow();
        db.ChangeTracker.Clear();
        await db.UpdateRegistryAsync(await db.Registries.SingleAsync(r => r.Id == id, ct), r =>
            db.Record(r, TimelineEntryType.QuayCredentialsReplaced, "QuayCredentialsReplaced",
                kind == QuayCredentialKind.Supplied
                    ? $"Stored a Quay token supplied for '{username}' (scopes Quay's answers prove: {(stored.Scopes.Length == 0 ? "none" : stored.Scopes)}; expiry unknown)."
                    : $"Minted and stored a Quay token for '{username}' through {stored.Path} (expires {stored.ExpiresAt:u}).", now), CancellationToken.None);
        var view = QuayCredentialsView.Of(await db.QuayAccounts.AsNoTracking().SingleAsync(a => a.RegistryId == id, ct))!;
        return TypedResults.Ok(view);
    }
}
