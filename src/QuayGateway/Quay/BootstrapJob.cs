using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>
/// The declarative bootstrap: once a registry with <c>initialUser</c> is Available, creates that user (keeping its
/// token) and then each requested organization, and moves the registry from Bootstrapping to Ready. Each step is
/// recorded and announced by <see cref="QuayInitializer"/>, <see cref="QuayOrganizations"/> and (robots, teams, quotas)
/// <see cref="QuayOrganizationResources"/>. A failed step makes
/// the registry Failed with a <c>Bootstrapped=False</c> condition that says why; <c>POST /retry</c> runs it again,
/// skipping what is done. Not retried by Hangfire: user/initialize must never be repeated without a person asking.
/// </summary>
public sealed class BootstrapJob(
    GatewayDb db, QuayInitializer initializer, QuayOrganizations organizations, QuayOrganizationResources resources, IDataProtectionProvider dataProtection,
    TimeProvider time, ILogger<BootstrapJob> logger) : IBootstrapRegistryJob
{
    public async Task RunAsync(Guid registryId, bool requestedByRetry, CancellationToken ct)
    {
        var registry = await db.Registries.SingleOrDefaultAsync(r => r.Id == registryId, ct);
        if (registry is not { State: RegistryState.Bootstrapping } || registry.Spec.InitialUser is not { } user)
        {
            return;
        }

        var account = await db.QuayAccounts.AsNoTracking().SingleOrDefaultAsync(a => a.RegistryId == registryId, ct);
        if (account is not { Status: QuayAccountStatus.Initialized })
        {
            var password = RegistrySecrets.Unprotect(dataProtection, registry.ProtectedSecrets).InitialUserPassword;
            // The password is erased once the outcome is known; without it there is nothing left to try.
            var (_, problem) = password is null
                ? (null, account is { Status: QuayAccountStatus.TokenLost } ? QuayProblem.TokenLost(account.Username) : QuayProblem.TokenMissing())
                : await initializer.InitializeAsync(registry, new InitialUserRequest(user.Username, user.Email, password), requestedByRetry, ct);
            if (problem is not null)
            {
                await FailAsync(registryId, problem, ct);
                return;
            }
        }

        foreach (var organization in registry.Spec.Organizations)
        {
            db.ChangeTracker.Clear();
            registry = await db.Registries.SingleAsync(r => r.Id == registryId, ct);
            if ((await organizations.CreateAsync(registry, organization, ct)).Problem is { } problem)
            {
                await FailAsync(registryId, problem, ct);
                return;
            }

            // Its robots, teams and quota: what is missing is created, what differs changed, what is so skipped.
            db.ChangeTracker.Clear();
            registry = await db.Registries.SingleAsync(r => r.Id == registryId, ct);
            if (await resources.ReconcileAsync(registry, organization, ct) is { } resourceProblem)
            {
                await FailAsync(registryId, resourceProblem, ct);
                return;
            }
        }

        db.ChangeTracker.Clear();
        registry = await db.Registries.SingleAsync(r => r.Id == registryId, ct);
        var now = time.GetUtcNow();
        await db.UpdateRegistryAsync(registry, r =>
        {
            var message = $"Quay user '{user.Username}' and {r.Spec.Organizations.Count} organization(s) created.";
            r.SetCondition(ConditionTypes.Bootstrapped, "True", "BootstrapDone", message, now);
            // A registry that went Degraded meanwhile becomes Ready when it recovers (the condition says the bootstrap is done).
            if (r.State == RegistryState.Bootstrapping)
            {
                db.MoveTo(r, RegistryState.Ready, "BootstrapDone", message, now);
            }
        }, ct);
        logger.LogInformation("Bootstrap of registry {RegistryId} done", registryId);
    }

    private async Task FailAsync(Guid registryId, QuayProblem problem, CancellationToken ct)
    {
        if (problem.Reason == QuayProblem.InFlightReason)
        {
            return; // another run of this job is making the call; it finishes the bootstrap
        }

        db.ChangeTracker.Clear();
        var registry = await db.Registries.SingleAsync(r => r.Id == registryId, ct);
        var now = time.GetUtcNow();
        await db.UpdateRegistryAsync(registry, r =>
        {
            var message = $"{problem.Detail} Fix the cause, then POST /retry.";
            r.SetCondition(ConditionTypes.Bootstrapped, "False", problem.Reason, message, now);
            if (r.State == RegistryState.Bootstrapping)
            {
                db.MoveTo(r, RegistryState.Failed, problem.Reason, $"Bootstrap step failed: {message}", now);
            }
        }, ct);
        logger.LogWarning("Bootstrap of registry {RegistryId} failed: {Reason}", registryId, problem.Reason);
    }
}
