using Hangfire;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Clusters;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Tenants;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Quay;

/// <summary>
/// Keeps a robot's <c>kubernetes.io/dockerconfigjson</c> Secrets in its registry's cluster: writes the wanted ones
/// (in namespaces the tenant may use, never over a Secret the gateway did not write) with the robot's current token,
/// and removes the ones no longer wanted, or all of them once the robot is deleted. Its argument is the robot's id,
/// never a credential; running it again changes nothing. <see cref="ResyncAsync"/> runs it for every robot.
/// </summary>
public sealed class RobotPullSecretsJob(
    GatewayDb db, ClusterConnections clusters, TenantPolicies policies, QuayRobotTokens tokens, QuayClient quay, QuayAccess access,
    TimeProvider time, ILogger<RobotPullSecretsJob> logger)
{
    public const string RecurringId = "quay-pull-secrets-resync";
    public const string RobotIdAnnotation = "quaygateway.dev/robot-id";
    public const string SecretType = "kubernetes.io/dockerconfigjson";

    /// <summary>
    /// The timeline entry (type and reason) for a pull secret the job stops writing because the tenant's policy no
    /// longer allows its namespace. Recorded when that starts, not on every run.
    /// </summary>
    public const TimelineEntryType PullSecretRefusedEntry = TimelineEntryType.QuayPullSecretRefused;

    private static readonly JobTemplate Template = JobTemplate.Of<RobotPullSecretsJob>((job, id) => job.RunAsync(id, CancellationToken.None));

    public static PreparedJob For(Guid robotId) => Template.For(robotId);

    [AutomaticRetry(Attempts = 8, DelaysInSeconds = [5, 10, 30, 60, 120, 300, 600, 900])]
    public async Task RunAsync(Guid robotId, CancellationToken ct)
    {
        var robot = await db.QuayRobots.SingleOrDefaultAsync(r => r.Id == robotId, ct);
        if (robot is null)
        {
            return;
        }

        var registry = await db.Registries.SingleAsync(r => r.Id == robot.RegistryId, ct);
        var cluster = clusters.Get(registry.Cluster);
        var token = robot.ProtectedToken is { } sealedToken && !robot.Deleted ? tokens.Unprotect(sealedToken) : null;
        token = await CurrentTokenAsync(registry, robot, token, ct);

        var wanted = new List<PullSecretSpec>();
        var refused = new List<(PullSecretSpec Secret, string Why)>();
        foreach (var secret in robot.Deleted || token is null ? [] : robot.PullSecrets)
        {
            if (await policies.CheckExistingPlacementAsync(db, registry.Tenant, registry.Cluster, secret.Namespace, ct) is { ProblemDetails.Detail: var why })
            {
                // Said once at Warning when it starts, like the timeline entry; the resync's repeats every 15 minutes are Debug.
                logger.Log(robot.RefusedPullSecrets.Contains(secret) ? LogLevel.Debug : LogLevel.Warning,
                    "Pull secret {Namespace}/{Secret} of robot {Robot} is outside tenant {Tenant}'s namespaces; not written",
                    secret.Namespace, secret.Name, robot.FullName, registry.Tenant);
                refused.Add((secret, why ?? "the namespace is not allowed"));
                continue;
            }

            var found = await cluster.GetSecretMetadataAsync(secret.Namespace, secret.Name, ct);
            if (found is not null && found.Annotations?.TryGetValue(RobotIdAnnotation, out var owner) != true)
            {
                logger.LogWarning("Secret {Namespace}/{Secret} exists and was not written by the gateway; robot {Robot} leaves it alone",
                    secret.Namespace, secret.Name, robot.FullName);
                continue;
            }

            var endpoint = QuayTarget.For(registry)?.Endpoint ?? throw new InvalidOperationException("The registry has no endpoint.");
            await cluster.ApplySecretAsync(secret.Namespace, secret.Name,
                new Dictionary<string, string> { [".dockerconfigjson"] = QuayOrganizationResources.DockerConfigJson(endpoint, robot.FullName, token!) },
                new Dictionary<string, string> { [ClusterClient.ManagedByLabel] = ClusterClient.FieldManager },
                new Dictionary<string, string> { [ClusterClient.RegistryIdAnnotation] = registry.Id.ToString(), [RobotIdAnnotation] = robot.Id.ToString() },
                ct, SecretType);
            wanted.Add(secret);
        }

        foreach (var stale in robot.WrittenPullSecrets.Where(w => !wanted.Contains(w)))
        {
            var found = await cluster.GetSecretMetadataAsync(stale.Namespace, stale.Name, ct);
            if (found?.Annotations?.TryGetValue(RobotIdAnnotation, out var owner) == true && owner == robot.Id.ToString())
            {
                await cluster.DeleteSecretAsync(stale.Namespace, stale.Name, found.Uid, ct);
            }
        }

        var now = time.GetUtcNow();
        RecordNewlyRefused(registry, robot, refused, now);
        if (robot.Deleted)
        {
            db.QuayRobots.Remove(robot);
            db.Record(registry, TimelineEntryType.QuayPullSecretsRemoved, "QuayPullSecretsRemoved",
                $"Removed the pull secrets of deleted Quay robot '{robot.FullName}'.", now);
        }
        else if (!robot.WrittenPullSecrets.SequenceEqual(wanted))
        {
            db.Record(registry, TimelineEntryType.QuayPullSecretsWritten, "QuayPullSecretsWritten",
                $"Pull secrets of Quay robot '{robot.FullName}': {(wanted.Count == 0 ? "none" : string.Join(", ", wanted.Select(w => $"{w.Namespace}/{w.Name}")))}.", now);
            robot.WrittenPullSecrets = wanted;
        }

        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// A timeline entry and a <c>quay.pull_secret_refused</c> event for each pull secret refused now that was not refused
    /// on the run before (the robot keeps the refused set), so a policy change is announced once, not every 15 minutes.
    /// One allowed again leaves the set and is announced by the <c>QuayPullSecretsWritten</c> entry that writes it.
    /// </summary>
    private void RecordNewlyRefused(Registry registry, QuayRobotAccount robot, List<(PullSecretSpec Secret, string Why)> refused, DateTimeOffset now)
    {
        foreach (var (secret, why) in refused.Where(r => !robot.RefusedPullSecrets.Contains(r.Secret)))
        {
            var removed = robot.WrittenPullSecrets.Contains(secret) ? " The one written before is removed." : "";
            db.Record(registry, PullSecretRefusedEntry, nameof(TimelineEntryType.QuayPullSecretRefused),
                $"Pull secret {secret.Namespace}/{secret.Name} of Quay robot '{robot.FullName}' is not written: namespace '{secret.Namespace}' " +
                $"is no longer one the tenant may use ({why}).{removed} Widen the tenant's policy, or change the robot's pullSecrets.", now);
            db.AddWebhookEvent(registry, WebhookEventTypes.QuayPullSecretRefused, now, new Dictionary<string, string>
            {
                ["robot"] = robot.FullName, ["namespace"] = secret.Namespace, ["secret"] = secret.Name, ["reason"] = why,
            });
        }

        var refusedNow = refused.Select(r => r.Secret).ToList();
        if (!robot.RefusedPullSecrets.SequenceEqual(refusedNow))
        {
            robot.RefusedPullSecrets = refusedNow;
        }
    }

    /// <summary>Every robot with pull secrets written or wanted, brought up to date (the token may have changed in Quay).</summary>
    [DisableConcurrentExecution(300)]
    [AutomaticRetry(Attempts = 0)]
    public async Task ResyncAsync(CancellationToken ct)
    {
        var ids = (await db.QuayRobots.AsNoTracking().ToListAsync(ct))
            .Where(r => r.Deleted || r.PullSecrets.Count > 0 || r.WrittenPullSecrets.Count > 0)
            .Select(r => r.Id).ToList();
        foreach (var id in ids)
        {
            db.ChangeTracker.Clear();
            try
            {
                await RunAsync(id, ct);
            }
            catch (Exception e) when (e is ClusterCallException or DbUpdateException)
            {
                logger.LogWarning(e, "Resync of the pull secrets of robot {RobotId} failed; the next run tries again", id);
            }
        }
    }

    /// <summary>The robot's token as Quay has it now (someone may have regenerated it in Quay's UI); the stored one when Quay cannot say.</summary>
    private async Task<string?> CurrentTokenAsync(Registry registry, QuayRobotAccount robot, string? stored, CancellationToken ct)
    {
        if (robot.Deleted || robot.PullSecrets.Count == 0)
        {
            return stored;
        }

        var (current, problem) = await access.RunAsync<string>(registry, async quayCall =>
            ((await quayCall.SendAsync((target, token, ct) => quay.GetRobotAsync(target, token, robot.Organization, robot.ShortName, ct))) is { IsSuccess: true } answer
                ? answer.Json?["token"]?.GetValue<string>() : null, null), ct);
        if (problem is not null)
        {
            logger.LogInformation("Quay could not be asked for robot {Robot}'s token ({Message}); the stored one is used", robot.FullName, problem.Detail);
        }
        else if (current is not null && current != stored)
        {
            robot.ProtectedToken = tokens.Protect(current);
            robot.TokenUpdatedAt = time.GetUtcNow();
            return current;
        }

        return stored;
    }
}
