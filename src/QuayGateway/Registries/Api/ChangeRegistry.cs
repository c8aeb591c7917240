using System.Security.Claims;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using QuayGateway.Clusters;
using QuayGateway.Hosting;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tenants;

namespace QuayGateway.Registries.Api;

/// <summary>
/// <c>PATCH /v1/registries/{id}</c>: replace components, config, labels or organizations (fields left out stay as they are).
/// New organizations, robots, teams and quotas are brought about once the registry is Available again.
/// The merged request is validated like a create, then re-applied as a new generation.
/// </summary>
/// <param name="Components">Replaces the component list; left out, it stays as it is.</param>
/// <param name="ConfigBundle">Replaces the config-bundle files (at least <c>config.yaml</c>); not with <c>configBundleSecret</c>.</param>
/// <param name="ConfigBundleSecret">Points the registry at another existing config-bundle Secret; not with <c>configBundle</c>.</param>
/// <param name="Labels">Replaces the labels.</param>
/// <param name="Organizations">Replaces the organizations; new ones, and new robots, teams and quotas, are brought about once the registry is Available.</param>
public sealed record PatchRegistryRequest(
    IReadOnlyList<ComponentSpec>? Components = null,
    IReadOnlyDictionary<string, string>? ConfigBundle = null,
    string? ConfigBundleSecret = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    IReadOnlyList<OrganizationSpec>? Organizations = null);

/// <summary>PATCH, DELETE and retry: the changes that start work on a registry. One change runs at a time.</summary>
public static class ChangeRegistry
{
    public static readonly PatchRegistryRequest PatchExample = new(
        Components: [new("clair", true), new("mirror", false), new("horizontalpodautoscaler", true)]);


    public static async Task<Results<Accepted<RegistryResponse>, ValidationProblem, ProblemHttpResult>> PatchAsync(
        Guid id, PatchRegistryRequest request, [FromHeader(Name = "If-Match")] string? ifMatch, ClaimsPrincipal user, GatewayDb db,
        ClusterCatalog clusters, IDataProtectionProvider dataProtection, TenantPolicies policies, TimeProvider time,
        IOptions<RolloutOptions> rollout, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        // A changed policy applies to changes too: a registry outside it can be deleted, not rolled out again.
        if (await policies.CheckExistingPlacementAsync(db, user.Tenant(), registry.Cluster, registry.Namespace, ct) is { } notAllowed)
        {
            return notAllowed;
        }

        if (Refusal(registry, ifMatch) is { } refusal)
        {
            return refusal;
        }

        var secrets = RegistrySecrets.Unprotect(dataProtection, registry.ProtectedSecrets);
        var switchesToSecret = request.ConfigBundleSecret is not null;
        var merged = new CreateRegistryRequest(
            registry.Name, registry.Namespace, registry.Cluster,
            request.Components ?? registry.Spec.Components,
            switchesToSecret ? null : request.ConfigBundle ?? secrets.ConfigBundle,
            request.ConfigBundleSecret ?? (request.ConfigBundle is null ? registry.Spec.ConfigBundleSecret : null),
            registry.Spec.InitialUser is { } u ? new InitialUserRequest(u.Username, u.Email, secrets.InitialUserPassword ?? "********") : null,
            request.Organizations ?? registry.Spec.Organizations,
            request.Labels ?? registry.Spec.Labels,
            registry.Spec.Ticket);
        var errors = RegistryRequestValidator.Validate(merged, clusters.Names);
        // The initial user was checked at create; its password may already be erased after the bootstrap.
        foreach (var key in errors.Keys.Where(k => k.StartsWith("initialUser", StringComparison.Ordinal)).ToList())
        {
            errors.Remove(key);
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (await policies.CheckPullSecretNamespacesAsync(db, user.Tenant(), registry.Cluster,
                OrganizationResourceRules.PullSecretNamespaces(request.Organizations), ct) is { } pullSecretRefused)
        {
            return pullSecretRefused;
        }

        var now = time.GetUtcNow();
        registry.Spec = RegistrySpec.From(merged) with { InitialUser = registry.Spec.InitialUser };
        var newSecrets = new RegistrySecrets(merged.ConfigBundle, secrets.InitialUserPassword);
        registry.ProtectedSecrets = newSecrets.IsEmpty ? null : newSecrets.Protect(dataProtection);
        if (request.Organizations is not null)
        {
            // The bootstrap runs again once the new generation is Available: it skips the user and what exists.
            registry.Conditions.RemoveAll(c => c.Type == ConditionTypes.Bootstrapped);
        }

        return await StartApplyAsync(registry, db, "SpecChanged", "The registry's spec was changed; applying a new generation.", now, rollout.Value.Deadline, ct) is { } conflict
            ? conflict
            : TypedResults.Accepted(RegistriesApi.Location(registry.Id), RegistryResponse.From(registry));
    }

    public static async Task<Results<Accepted<RegistryResponse>, ProblemHttpResult>> DeleteAsync(
        Guid id, [FromHeader(Name = "If-Match")] string? ifMatch, ClaimsPrincipal user, GatewayDb db,
        TimeProvider time, IOptions<RolloutOptions> rollout, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        // The watch may write the row at the same moment: then judge and change the fresh row (an If-Match given
        // still has to match it).
        ProblemHttpResult? refused = null;
        await db.SaveWithRetryAsync(async (attempt, ct) =>
        {
            if (attempt > 0)
            {
                registry = await db.OfTenant(user).FindAsync(id, ct) ?? registry;
            }

            if (Refusal(registry, ifMatch) is { } refusal)
            {
                refused = refusal;
                return false;
            }

            var now = time.GetUtcNow();
            registry.SetCondition(ConditionTypes.Available, "False", "Deleting", "Deprovisioning was requested.", now);
            registry.RolloutDeadline = now + rollout.Value.DeleteDeadline; // a finalizer that never clears ends in Failed
            db.MoveTo(registry, RegistryState.Deleting, "DeleteRequested", "Deprovisioning: deleting the QuayRegistry and what the gateway created.", now);
            db.EnqueueJob(RegistryJobs.Delete(registry.Id));
            return true;
        }, ct);
        if (refused is not null)
        {
            return refused;
        }

        return TypedResults.Accepted(RegistriesApi.Location(registry.Id), RegistryResponse.From(registry));
    }

    public static async Task<Results<Accepted<RegistryResponse>, ProblemHttpResult>> RetryAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, TimeProvider time, IOptions<RolloutOptions> rollout, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        if (registry.State is not (RegistryState.Failed or RegistryState.Blocked))
        {
            return Problems.Conflict(ProblemTypes.InvalidState, "Nothing to retry",
                $"Only a Failed or Blocked rollout can be retried; the registry is {registry.State}.");
        }

        if (RegistryLifecycle.FailedInBootstrap(registry))
        {
            return await StartBootstrapAsync(registry, db, time.GetUtcNow(), ct) is { } stale
                ? stale
                : TypedResults.Accepted(RegistriesApi.Location(registry.Id), RegistryResponse.From(registry));
        }

        return await StartApplyAsync(registry, db, "RetryRequested", "A retry of the rollout was requested.", time.GetUtcNow(), rollout.Value.Deadline, ct) is { } conflict
            ? conflict
            : TypedResults.Accepted(RegistriesApi.Location(registry.Id), RegistryResponse.From(registry));
    }

    /// <summary>The registry is up and a bootstrap step failed: run the bootstrap again (done steps are skipped).</summary>
    private static Task<ProblemHttpResult?> StartBootstrapAsync(Registry registry, GatewayDb db, DateTimeOffset now, CancellationToken ct)
    {
        registry.SetCondition(ConditionTypes.Bootstrapped, "False", "RetryRequested", "A retry of the bootstrap was requested.", now);
        db.MoveTo(registry, RegistryState.Bootstrapping, "RetryRequested", "Retrying the failed bootstrap step.", now);
        db.EnqueueJob(RegistryJobs.Bootstrap(registry.Id, requestedByRetry: true));
        return SaveOrConflictAsync(db, ct);
    }

    /// <summary>Starts a new apply of the registry; a problem when it changed concurrently, else null.</summary>
    private static Task<ProblemHttpResult?> StartApplyAsync(
        Registry registry, GatewayDb db, string reason, string message, DateTimeOffset now, TimeSpan deadline, CancellationToken ct)
    {
        registry.RolloutDeadline = now + deadline; // set with the change, so a lost job cannot lose it
        registry.SpecVersion++;
        registry.Health = RegistryHealth.Progressing;
        registry.SetCondition(ConditionTypes.Applied, "False", reason, message, now);
        db.MoveTo(registry, RegistryState.Applying, reason, message, now);
        db.EnqueueJob(RegistryJobs.Apply(registry.Id));
        return SaveOrConflictAsync(db, ct);
    }

    /// <summary>Saves the change with its job (in the job outbox); a problem when the registry changed concurrently.</summary>
    private static async Task<ProblemHttpResult?> SaveOrConflictAsync(GatewayDb db, CancellationToken ct)
    {
        try
        {
            await db.SaveChangesAsync(ct);
            return null;
        }
        catch (DbUpdateConcurrencyException)
        {
            return Problems.Problem(StatusCodes.Status412PreconditionFailed, ProblemTypes.PreconditionFailed, "Registry changed",
                "The registry changed while this request was handled; read it again and retry with its new ETag.");
        }
    }

    private static ProblemHttpResult? Refusal(Registry registry, string? ifMatch)
    {
        if (ifMatch is not null && ifMatch != "*" && !ifMatch.Split(',').Select(e => e.Trim()).Contains(registry.ETag))
        {
            return Problems.Problem(StatusCodes.Status412PreconditionFailed, ProblemTypes.PreconditionFailed, "ETag does not match",
                $"If-Match {ifMatch} does not match the registry's current ETag {registry.ETag}; read it again and retry.");
        }

        if (registry.State == RegistryState.Deleted)
        {
            return Problems.Conflict(ProblemTypes.InvalidState, "Registry deleted", "The registry was deprovisioned; create a new one.");
        }

        return RegistryLifecycle.IsChanging(registry.State)
            ? Problems.Conflict(ProblemTypes.ChangeInProgress, "A change is in progress",
                $"The registry is {registry.State}; wait until that change is done before starting another.")
            : null;
    }
}
