using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Quay;

/// <summary>A robot's credentials, shown once: its full name, token and a ready <c>.dockerconfigjson</c>.</summary>
/// <param name="Name">The robot's full name, <c>org+name</c>.</param>
/// <param name="Token">The robot's token (its password for <c>docker login</c>); shown only here.</param>
/// <param name="DockerConfigJson">A ready <c>.dockerconfigjson</c> for the registry with the robot's credentials; shown only here.</param>
/// <param name="PullSecrets">The pull Secrets written (and kept current) in the registry's cluster.</param>
public sealed record RobotCredentials(string Name, string Token, string DockerConfigJson, IReadOnlyList<PullSecretSpec> PullSecrets);

/// <summary>A team as the gateway left it.</summary>
/// <param name="Name">The team's name.</param>
/// <param name="Role">The team's organization-wide role.</param>
/// <param name="Members">The members the team has now.</param>
/// <param name="CreatedByGateway">Whether the gateway created the team (else it existed and was changed).</param>
/// <param name="Invited">Members that Quay invited rather than added (they must accept).</param>
public sealed record TeamState(string Name, string Role, IReadOnlyList<string> Members, bool CreatedByGateway, IReadOnlyList<string> Invited);

/// <summary>The organization's quota as the gateway left it.</summary>
/// <param name="LimitBytes">The storage limit, in bytes.</param>
/// <param name="Limit">The limit as Quay shows it (<c>10.0 GiB</c>).</param>
/// <param name="Changed">Whether the gateway changed it (false when it was so already).</param>
public sealed record QuotaState(long LimitBytes, string? Limit, bool Changed);

/// <summary>
/// Robots (with pull secrets), teams and quotas of a registry's Quay organizations, for the API and the declarative
/// bootstrap alike. Each change is a timeline entry and a webhook event; what is already so is left alone, and nothing
/// the gateway did not create is deleted. Quay is called through <see cref="QuayAccess"/> only: each call with
/// credentials that work (renewed when Quay refuses them), no call more than the operation needs.
/// </summary>
public sealed class QuayOrganizationResources(
    GatewayDb db, QuayClient quay, QuayAccess access, QuayRobotTokens tokens, TimeProvider time, ILogger<QuayOrganizationResources> logger)
{
    private const string RobotMissing = "Could not find robot";

    /// <summary>Creates the robot in Quay (Quay refuses an existing one) and keeps its token for its pull secrets.</summary>
    public Task<(RobotCredentials? Robot, QuayProblem? Problem)> CreateRobotAsync(Registry registry, string org, RobotSpec spec, CancellationToken ct) =>
        access.RunAsync<RobotCredentials>(registry, async quayCall =>
        {
            var answer = await quayCall.SendAsync((target, token, ct) => quay.CreateRobotAsync(target, token, org, spec.Name, spec.Description, ct));
            if (!answer.IsSuccess || answer.Json?["token"]?.GetValue<string>() is not { } token)
            {
                return (null, QuayProblem.FromAnswer(answer, $"create robot '{org}+{spec.Name}'"));
            }

            var robot = await KeepRobotAsync(registry, org, spec, token, createdByGateway: true, ct);
            return (Credentials(quayCall, robot.FullName, token, robot.PullSecrets), null);
        }, ct);

    /// <summary>A new token from Quay, kept (and pushed to the robot's pull secrets) when the gateway knows the robot.</summary>
    public Task<(RobotCredentials? Robot, QuayProblem? Problem)> RegenerateRobotAsync(Registry registry, string org, string name, CancellationToken ct) =>
        access.RunAsync<RobotCredentials>(registry, async quayCall =>
        {
            var answer = await quayCall.SendAsync((target, token, ct) => quay.RegenerateRobotAsync(target, token, org, name, ct));
            if (!answer.IsSuccess || answer.Json?["token"]?.GetValue<string>() is not { } token)
            {
                return (null, QuayProblem.FromAnswer(answer, $"regenerate the token of robot '{org}+{name}'"));
            }

            var robot = await FindRobotAsync(registry.Id, org, name, ct);
            if (robot is not null)
            {
                var now = time.GetUtcNow();
                robot.ProtectedToken = tokens.Protect(token);
                robot.TokenUpdatedAt = now;
                db.Record(registry, TimelineEntryType.QuayRobotTokenRegenerated, "QuayRobotTokenRegenerated", $"Regenerated the token of Quay robot '{robot.FullName}'.", now);
                if (robot.PullSecrets.Count > 0)
                {
                    db.EnqueueJob(RobotPullSecretsJob.For(robot.Id));
                }

                await db.SaveChangesAsync(CancellationToken.None);
            }

            return (Credentials(quayCall, $"{org}+{name}", token, robot?.PullSecrets ?? []), null);
        }, ct);

    /// <summary>Deletes the robot in Quay (gone already counts as done) and, through the job, its pull secrets.</summary>
    public Task<QuayProblem?> DeleteRobotAsync(Registry registry, string org, string name, CancellationToken ct) =>
        access.RunAsync(registry, async quayCall =>
        {
            var robot = await FindRobotAsync(registry.Id, org, name, ct);
            var answer = await quayCall.SendAsync((target, token, ct) => quay.DeleteRobotAsync(target, token, org, name, ct));
            var gone = answer.Status == 400 && answer.Message.Contains(RobotMissing, StringComparison.Ordinal) && robot is not null;
            if (!answer.IsSuccess && !gone)
            {
                return QuayProblem.FromAnswer(answer, $"delete robot '{org}+{name}'");
            }

            var now = time.GetUtcNow();
            db.Record(registry, TimelineEntryType.QuayRobotDeleted, "QuayRobotDeleted", $"Deleted Quay robot '{org}+{name}'.", now);
            if (robot is not null)
            {
                robot.Deleted = true;
                robot.ProtectedToken = null;
                robot.PullSecrets = [];
                db.EnqueueJob(RobotPullSecretsJob.For(robot.Id)); // removes its Secrets, then the row
            }

            await db.SaveChangesAsync(CancellationToken.None);
            logger.LogInformation("Deleted Quay robot {Robot} of registry {RegistryId}", $"{org}+{name}", registry.Id);
            return null;
        }, ct);

    /// <summary>
    /// Creates the team or sets its role, and its members: the whole set for a team the gateway created, added only
    /// for one it found. A team already so is not touched.
    /// </summary>
    public Task<(TeamState? Team, QuayProblem? Problem)> PutTeamAsync(Registry registry, string org, TeamSpec spec, CancellationToken ct) =>
        access.RunAsync<TeamState>(registry, async quayCall =>
        {
            var record = await db.QuayTeams.SingleOrDefaultAsync(t => t.RegistryId == registry.Id && t.Organization == org && t.Name == spec.Name, ct);
            var wanted = (spec.Members ?? []).Distinct(StringComparer.Ordinal).ToList();
            var members = await quayCall.SendAsync((target, token, ct) => quay.ListTeamMembersAsync(target, token, org, spec.Name, ct));
            if (!members.IsSuccess && members.Status != 404)
            {
                return (null, QuayProblem.FromAnswer(members, $"read team '{spec.Name}' of '{org}'"));
            }

            var current = members.IsSuccess ? MemberNames(members) : [];
            var createdNow = false;
            var changed = false;
            if (!members.IsSuccess || record is null || record.Role != spec.Role)
            {
                var put = await quayCall.SendAsync((target, token, ct) => quay.PutTeamAsync(target, token, org, spec.Name, spec.Role, ct));
                if (!put.IsSuccess)
                {
                    return (null, QuayProblem.FromAnswer(put, $"set team '{spec.Name}' of '{org}'"));
                }

                createdNow = put.Json?["new_team"]?.GetValue<bool>() == true;
                changed = createdNow || record?.Role != spec.Role;
            }

            var ownedByGateway = createdNow || record?.CreatedByGateway == true;
            var invited = new List<string>();
            foreach (var member in wanted.Where(m => !current.Contains(m)))
            {
                var added = await quayCall.SendAsync((target, token, ct) => quay.AddTeamMemberAsync(target, token, org, spec.Name, member, ct));
                if (!added.IsSuccess)
                {
                    return (null, QuayProblem.FromAnswer(added, $"add '{member}' to team '{spec.Name}' of '{org}'"));
                }

                if (added.Json?["invited"]?.GetValue<bool>() == true)
                {
                    invited.Add(member); // Quay invites users outside the organization; they join on accepting
                }

                changed = true;
            }

            var final = current.Union(wanted.Except(invited)).ToList();
            if (ownedByGateway)
            {
                foreach (var member in current.Where(m => !wanted.Contains(m)))
                {
                    var removed = await quayCall.SendAsync((target, token, ct) => quay.RemoveTeamMemberAsync(target, token, org, spec.Name, member, ct));
                    if (!removed.IsSuccess)
                    {
                        return (null, QuayProblem.FromAnswer(removed, $"remove '{member}' from team '{spec.Name}' of '{org}'"));
                    }

                    final.Remove(member);
                    changed = true;
                }
            }

            var now = time.GetUtcNow();
            if (record is null)
            {
                record = new QuayManagedTeam
                {
                    RegistryId = registry.Id, Organization = org, Name = spec.Name, CreatedByGateway = createdNow, Role = spec.Role,
                };
                db.QuayTeams.Add(record);
            }

            record.Role = spec.Role;
            record.Members = wanted;
            record.UpdatedAt = now;
            if (changed)
            {
                var verb = createdNow ? "Created" : "Updated";
                db.Record(registry, TimelineEntryType.QuayTeamUpdated, "QuayTeamUpdated",
                    $"{verb} team '{spec.Name}' of Quay organization '{org}' (role {spec.Role}, {final.Count} member(s)).", now);
                db.AddWebhookEvent(registry, WebhookEventTypes.QuayTeamUpdated, now, new Dictionary<string, string>
                {
                    ["organization"] = org, ["team"] = spec.Name, ["role"] = spec.Role, ["created"] = createdNow ? "true" : "false",
                });
            }

            await db.SaveChangesAsync(CancellationToken.None);
            return (new TeamState(spec.Name, spec.Role, final.Order(StringComparer.Ordinal).ToList(), ownedByGateway, invited), null);
        }, ct);

    /// <summary>Creates or changes the organization's quota; 409 when Quay runs without FEATURE_QUOTA_MANAGEMENT.</summary>
    public Task<(QuotaState? Quota, QuayProblem? Problem)> SetQuotaAsync(Registry registry, string org, long limitBytes, CancellationToken ct) =>
        access.RunAsync<QuotaState>(registry, async quayCall =>
        {
            var list = await quayCall.SendAsync((target, token, ct) => quay.ListQuotasAsync(target, token, org, ct));
            if (list.Status == 404)
            {
                return (null, QuotaManagementDisabled(list));
            }

            if (!list.IsSuccess || list.Json is not JsonArray quotas)
            {
                return (null, QuayProblem.FromAnswer(list, $"read the quota of '{org}'"));
            }

            var existing = quotas.OfType<JsonObject>().FirstOrDefault(q => q["default_config"]?.GetValue<bool>() != true);
            if (existing is not null && existing["limit_bytes"]?.GetValue<long>() == limitBytes)
            {
                return (new QuotaState(limitBytes, (string?)existing["limit"], Changed: false), null);
            }

            var answer = await quayCall.SendAsync((target, token, ct) => existing is null
                ? quay.CreateQuotaAsync(target, token, org, limitBytes, ct)
                : quay.ChangeQuotaAsync(target, token, org, existing["id"]!.GetValue<long>(), limitBytes, ct));
            if (!answer.IsSuccess)
            {
                return (null, QuayProblem.FromAnswer(answer, $"set the quota of '{org}'"));
            }

            var now = time.GetUtcNow();
            db.Record(registry, TimelineEntryType.QuayQuotaSet, "QuayQuotaSet", $"Set the storage quota of Quay organization '{org}' to {limitBytes} bytes.", now);
            db.AddWebhookEvent(registry, WebhookEventTypes.QuayQuotaSet, now, new Dictionary<string, string>
            {
                ["organization"] = org, ["limitBytes"] = limitBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            });
            await db.SaveChangesAsync(CancellationToken.None);
            // Creating answers "Created"; Quay's own wording of the limit comes with the quota view.
            var limit = answer.Json is JsonObject view ? (string?)view["limit"]
                : (await quayCall.SendAsync((target, token, ct) => quay.ListQuotasAsync(target, token, org, ct))).Json is JsonArray after
                    ? (string?)after.OfType<JsonObject>().FirstOrDefault()?["limit"] : null;
            return (new QuotaState(limitBytes, limit, Changed: true), null);
        }, ct);

    /// <summary>
    /// The declarative part of an organization: robots that are missing are created (ones found in Quay are used, and
    /// their pull secrets kept), teams and the quota are brought to what is declared. Steps already done are skipped.
    /// </summary>
    public async Task<QuayProblem?> ReconcileAsync(Registry registry, OrganizationSpec org, CancellationToken ct)
    {
        foreach (var spec in org.Robots ?? [])
        {
            if (await EnsureRobotAsync(registry, org.Name, spec, ct) is { } problem)
            {
                return problem;
            }
        }

        foreach (var team in org.Teams ?? [])
        {
            if ((await PutTeamAsync(registry, org.Name, team, ct)).Problem is { } problem)
            {
                return problem;
            }
        }

        return org.Quota is { } quota ? (await SetQuotaAsync(registry, org.Name, quota.LimitBytes, ct)).Problem : null;
    }

    private async Task<QuayProblem?> EnsureRobotAsync(Registry registry, string org, RobotSpec spec, CancellationToken ct)
    {
        var robot = await FindRobotAsync(registry.Id, org, spec.Name, ct);
        var wanted = spec.PullSecrets?.ToList() ?? [];
        if (robot is { Deleted: false })
        {
            if (!robot.PullSecrets.SequenceEqual(wanted))
            {
                robot.PullSecrets = wanted;
                db.EnqueueJob(RobotPullSecretsJob.For(robot.Id));
                await db.SaveChangesAsync(CancellationToken.None);
            }

            return null;
        }

        // Created by an earlier run whose answer was lost, or by someone else: use it, never re-create it.
        var (found, problem) = await access.RunAsync<string>(registry, async quayCall =>
            ((await quayCall.SendAsync((target, token, ct) => quay.GetRobotAsync(target, token, org, spec.Name, ct))) is { IsSuccess: true } answer
                ? answer.Json?["token"]?.GetValue<string>() : null, null), ct);
        if (problem is not null)
        {
            return problem;
        }

        if (found is { } token)
        {
            await KeepRobotAsync(registry, org, spec, token, createdByGateway: false, ct);
            return null;
        }

        return (await CreateRobotAsync(registry, org, spec, ct)).Problem;
    }

    private async Task<QuayRobotAccount> KeepRobotAsync(Registry registry, string org, RobotSpec spec, string token, bool createdByGateway, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var stale = await FindRobotAsync(registry.Id, org, spec.Name, ct);
        if (stale is not null)
        {
            db.QuayRobots.Remove(stale); // deleted earlier (its Secrets job may still run: it finds the new row's wishes)
            await db.SaveChangesAsync(CancellationToken.None);
        }

        var robot = new QuayRobotAccount
        {
            RegistryId = registry.Id, Organization = org, ShortName = spec.Name, Description = spec.Description,
            ProtectedToken = tokens.Protect(token), CreatedByGateway = createdByGateway, PullSecrets = spec.PullSecrets?.ToList() ?? [],
            WrittenPullSecrets = stale?.WrittenPullSecrets ?? [], CreatedAt = now, TokenUpdatedAt = now,
        };
        db.QuayRobots.Add(robot);
        if (createdByGateway)
        {
            db.Record(registry, TimelineEntryType.QuayRobotCreated, "QuayRobotCreated", $"Created Quay robot '{robot.FullName}'.", now);
            db.AddWebhookEvent(registry, WebhookEventTypes.QuayRobotCreated, now, new Dictionary<string, string>
            {
                ["organization"] = org, ["robot"] = robot.FullName,
            });
        }
        else
        {
            db.Record(registry, TimelineEntryType.QuayRobotFound, "QuayRobotFound", $"Quay robot '{robot.FullName}' exists already; the gateway uses it.", now);
        }

        if (robot.PullSecrets.Count > 0 || robot.WrittenPullSecrets.Count > 0)
        {
            db.EnqueueJob(RobotPullSecretsJob.For(robot.Id));
        }

        await db.SaveChangesAsync(CancellationToken.None);
        logger.LogInformation("Keeping Quay robot {Robot} of registry {RegistryId} (created: {Created})", robot.FullName, registry.Id, createdByGateway);
        return robot;
    }

    private Task<QuayRobotAccount?> FindRobotAsync(Guid registryId, string org, string name, CancellationToken ct) =>
        db.QuayRobots.SingleOrDefaultAsync(r => r.RegistryId == registryId && r.Organization == org && r.ShortName == name, ct);

    private static HashSet<string> MemberNames(QuayAnswer members) =>
        (members.Json?["members"] as JsonArray ?? [])
            .Where(m => m?["invited"]?.GetValue<bool>() != true && m?["name"] is not null)
            .Select(m => m!["name"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);

    private static RobotCredentials Credentials(QuaySession session, string name, string token, IReadOnlyList<PullSecretSpec> pullSecrets) =>
        new(name, token, DockerConfigJson(session.Target!.Endpoint, name, token), pullSecrets);

    /// <summary>A <c>.dockerconfigjson</c> for the registry's host, as Quay's own "Kubernetes Secret" download has it.</summary>
    public static string DockerConfigJson(Uri endpoint, string name, string token) =>
        JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["auths"] = new Dictionary<string, object>
            {
                [endpoint.IsDefaultPort ? endpoint.Host : endpoint.Authority] = new Dictionary<string, string>
                {
                    ["auth"] = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{name}:{token}")),
                    ["email"] = "",
                },
            },
        });

    public static QuayProblem QuotaManagementDisabled(QuayAnswer answer) => new(409, Hosting.ProblemTypes.QuayQuotaManagementDisabled,
        "Quota management is disabled",
        "Quay answered 404 to the organization quota endpoint: set FEATURE_QUOTA_MANAGEMENT: true in the registry's config bundle " +
        "(config.yaml), PATCH the registry, then set the quota again.", "QuayQuotaManagementDisabled", answer);
}
