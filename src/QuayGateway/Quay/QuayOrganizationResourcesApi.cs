using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tenants;

namespace QuayGateway.Quay;

/// <summary>The body of <c>POST …/organizations/{org}/robots</c>.</summary>
/// <param name="Name">The robot's short name (lowercase letters, digits and <c>_</c>, 2 to 255 characters); Quay names it <c>org+name</c>.</param>
/// <param name="Description">What the robot is for, shown in Quay.</param>
/// <param name="PullSecrets"><c>kubernetes.io/dockerconfigjson</c> Secrets to write with the robot's credentials, in namespaces the tenant may use.</param>
public sealed record CreateRobotRequest(string Name, string? Description = null, IReadOnlyList<PullSecretSpec>? PullSecrets = null);

/// <summary>The body of <c>PUT …/organizations/{org}/teams/{team}</c>.</summary>
/// <param name="Role">The team's organization-wide role.</param>
/// <param name="Members">The members to add: user names or robots (<c>org+robot</c>). Members not listed are left alone.</param>
public sealed record PutTeamRequest(string Role, IReadOnlyList<string>? Members = null);

/// <summary>The body of <c>PUT …/organizations/{org}/quota</c>.</summary>
/// <param name="LimitBytes">The organization's storage limit, in bytes.</param>
public sealed record PutQuotaRequest(long LimitBytes);

/// <summary>Robots (with pull secrets), teams and the quota of an organization in a registry's Quay.</summary>
public static class QuayOrganizationResourcesApi
{
    public static readonly CreateRobotRequest RobotExample = new("ci", "CI pulls", [new("payments-ci", "quay-pull")]);
    public static readonly PutTeamRequest TeamExample = new("member", ["testorg+ci"]);
    public static readonly PutQuotaRequest QuotaExample = new(10L * 1024 * 1024 * 1024);

    public static void Map(RouteGroupBuilder group, string[] storedToken)
    {
        group.MapPost("/organizations/{org}/robots", CreateRobotAsync)
            .WithName("CreateQuayRobot")
            .WithSummary("Create a robot account, with pull secrets")
            .WithDescription("Creates robot org+name in Quay (PUT /api/v1/organization/{org}/robots/{name}) and answers its token and a " +
                             ".dockerconfigjson once. The token is kept encrypted to write the pullSecrets, kubernetes.io/dockerconfigjson " +
                             "Secrets in the registry's cluster, in namespaces the tenant may use, and to keep them current. " +
                             "quay.robot_created is announced.")
            .ProducesProblems(StatusCodes.Status409Conflict, storedToken)
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemTypes.NamespaceNotAllowed, ProblemTypes.ClusterNotAllowed, ProblemTypes.TenantNotConfigured)
            .WithRequestExample(RobotExample);

        group.MapGet("/organizations/{org}/robots", ListRobotsAsync)
            .WithName("ListQuayRobots")
            .WithSummary("An organization's robot accounts")
            .WithDescription("Quay's list (GET /api/v1/organization/{org}/robots?token=false), passed through without tokens.")
            .ProducesProblems(StatusCodes.Status409Conflict, storedToken)
            .ProducesContent(StatusCodes.Status200OK, "application/json", typeof(JsonElement), "Quay's answer, as Quay sent it.");

        group.MapDelete("/organizations/{org}/robots/{name}", DeleteRobotAsync)
            .WithName("DeleteQuayRobot")
            .WithSummary("Delete a robot account and its pull secrets")
            .WithDescription("Deletes robot org+name in Quay, then the pull secrets the gateway wrote for it.")
            .ProducesProblems(StatusCodes.Status409Conflict, storedToken);

        group.MapPost("/organizations/{org}/robots/{name}/regenerate", RegenerateRobotAsync)
            .WithName("RegenerateQuayRobotToken")
            .WithSummary("A new token for a robot account")
            .WithDescription("Quay issues a new token (the old one stops working); it is answered once and written to the robot's pull secrets.")
            .ProducesProblems(StatusCodes.Status409Conflict, storedToken);

        group.MapPut("/organizations/{org}/teams/{team}", PutTeamAsync)
            .WithName("PutQuayTeam")
            .WithSummary("Create or change a team")
            .WithDescription("Creates the team or sets its org-wide role (member, creator or admin) and its members. For a team the gateway " +
                             "created, members is the whole set; for one it found, members are only added. Quay invites users outside the " +
                             "organization rather than adding them (invited). quay.team_updated is announced when something changed.")
            .ProducesProblems(StatusCodes.Status409Conflict, storedToken)
            .WithRequestExample(TeamExample);

        group.MapPut("/organizations/{org}/quota", PutQuotaAsync)
            .WithName("PutQuayQuota")
            .WithSummary("Set an organization's storage quota")
            .WithDescription("Creates or changes the organization's quota (needs a superuser token and FEATURE_QUOTA_MANAGEMENT: 409 " +
                             "quay-quota-management-disabled without it). quay.quota_set is announced when it changed.")
            .ProducesProblems(StatusCodes.Status409Conflict, [.. storedToken, ProblemTypes.QuayQuotaManagementDisabled])
            .WithRequestExample(QuotaExample);
    }

    public static async Task<Results<Created<RobotCredentials>, ValidationProblem, ProblemHttpResult>> CreateRobotAsync(
        Guid id, string org, CreateRobotRequest request, ClaimsPrincipal user, GatewayDb db, TenantPolicies policies,
        QuayOrganizationResources resources, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        OrganizationResourceRules.CheckRobot((field, message) => Add(errors, field, message), "robot", new RobotSpec(request.Name, request.Description, request.PullSecrets));
        if (errors.Count > 0)
        {
            return Problems.Validation(errors.ToDictionary(e => e.Key.Replace("robot.", "", StringComparison.Ordinal), e => e.Value.ToArray()));
        }

        if (await policies.CheckPullSecretNamespacesAsync(db, user.Tenant(), registry.Cluster,
                (request.PullSecrets ?? []).Select((s, i) => ($"pullSecrets[{i}].namespace", s.Namespace)), ct) is { } refused)
        {
            return refused;
        }

        var (robot, problem) = await resources.CreateRobotAsync(registry, org, new RobotSpec(request.Name, request.Description, request.PullSecrets), ct);
        return robot is null
            ? problem!.ToResult()
            : TypedResults.Created($"{QuayOrganizationsApi.Location(id, org)}/robots/{Uri.EscapeDataString(request.Name)}", robot);
    }

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> ListRobotsAsync(
        Guid id, string org, ClaimsPrincipal user, GatewayDb db, QuayClient quay, QuayCredentials credentials, CancellationToken ct) =>
        QuayRead.PassThroughAsync(id, user, db, credentials, (target, token) => quay.ListRobotsAsync(target, token, org, ct),
            $"list the robots of '{org}'", ct);

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteRobotAsync(
        Guid id, string org, string name, ClaimsPrincipal user, GatewayDb db, QuayOrganizationResources resources, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        return await resources.DeleteRobotAsync(registry, org, name, ct) is { } problem ? problem.ToResult() : TypedResults.NoContent();
    }

    public static async Task<Results<Ok<RobotCredentials>, ProblemHttpResult>> RegenerateRobotAsync(
        Guid id, string org, string name, ClaimsPrincipal user, GatewayDb db, QuayOrganizationResources resources, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var (robot, problem) = await resources.RegenerateRobotAsync(registry, org, name, ct);
        return robot is null ? problem!.ToResult() : TypedResults.Ok(robot);
    }

    public static async Task<Results<Ok<TeamState>, ValidationProblem, ProblemHttpResult>> PutTeamAsync(
        Guid id, string org, string team, PutTeamRequest request, ClaimsPrincipal user, GatewayDb db, QuayOrganizationResources resources, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        OrganizationResourceRules.CheckTeam((field, message) => Add(errors, field, message), "team", team, request.Role, request.Members);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors.ToDictionary(e => e.Key.Replace("team.", "", StringComparison.Ordinal), e => e.Value.ToArray()));
        }

        var (state, problem) = await resources.PutTeamAsync(registry, org, new TeamSpec(team, request.Role, request.Members), ct);
        return state is null ? problem!.ToResult() : TypedResults.Ok(state);
    }

    public static async Task<Results<Ok<QuotaState>, ValidationProblem, ProblemHttpResult>> PutQuotaAsync(
        Guid id, string org, PutQuotaRequest request, ClaimsPrincipal user, GatewayDb db, QuayOrganizationResources resources, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var errors = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        OrganizationResourceRules.CheckQuota((field, message) => Add(errors, field, message), "quota", request.LimitBytes);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors.ToDictionary(e => e.Key.Replace("quota.", "", StringComparison.Ordinal), e => e.Value.ToArray()));
        }

        var (quota, problem) = await resources.SetQuotaAsync(registry, org, request.LimitBytes, ct);
        return quota is null ? problem!.ToResult() : TypedResults.Ok(quota);
    }

    private static void Add(Dictionary<string, List<string>> errors, string field, string message)
    {
        if (!errors.TryGetValue(field, out var list))
        {
            errors[field] = list = [];
        }

        list.Add(message);
    }
}
