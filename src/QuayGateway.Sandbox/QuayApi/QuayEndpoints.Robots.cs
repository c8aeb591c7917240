using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>
/// An organization's robots, teams and quota, as Quay's <c>endpoints/api/robot.py</c>, <c>team.py</c> and
/// <c>namespacequota.py</c> answer them. Errors from the data model (<c>DataModelException</c>) come back through
/// Quay's app-wide handler as 400 <c>{"message"}</c>; <c>request_error</c> as an ApiError <c>invalid_request</c>.
/// </summary>
internal static partial class QuayEndpoints
{
    private static readonly string[] TeamRoles = ["member", "creator", "admin"];

    /// <summary>Paths below <c>/api/v1/organization/{org}/</c>: robots, team and quota.</summary>
    private static bool IsOrganizationResource(string path) =>
        path.StartsWith("/api/v1/organization/", StringComparison.Ordinal) && path.TrimEnd('/').Count(c => c == '/') > 4;

    private static Task OrganizationResource(QuayInstance quay, HttpContext context, string? user, string path)
    {
        var parts = path["/api/v1/organization/".Length..].TrimEnd('/').Split('/');
        var org = Uri.UnescapeDataString(parts[0]);
        var method = context.Request.Method;
        var isAdmin = user is not null && quay.Database.Find(org) is { IsOrganization: true } o && o.AdminUser == user;
        return (parts.Length, parts[1], method) switch
        {
            (2, "robots", "GET") => Guarded(isAdmin, context, user, () => ListRobots(quay, context, org)),
            (3, "robots", "GET") => Guarded(isAdmin, context, user, () => GetRobot(quay, context, org, parts[2])),
            (3, "robots", "PUT") => Guarded(isAdmin, context, user, () => CreateRobot(quay, context, org, parts[2])),
            (3, "robots", "DELETE") => Guarded(isAdmin, context, user, () => DeleteRobot(quay, context, org, parts[2])),
            (4, "robots", "POST") when parts[3] == "regenerate" => Guarded(isAdmin, context, user, () => RegenerateRobot(quay, context, org, parts[2])),
            (3, "team", "PUT") => Guarded(isAdmin, context, user, () => PutTeam(quay, context, org, parts[2])),
            (3, "team", "DELETE") => Guarded(isAdmin, context, user, () => DeleteTeam(quay, context, org, parts[2], user!)),
            (4, "team", "GET") when parts[3] == "members" => Guarded(isAdmin, context, user, () => TeamMembers(quay, context, org, parts[2])),
            (5, "team", "PUT") when parts[3] == "members" => Guarded(isAdmin, context, user, () => AddTeamMember(quay, context, org, parts[2], parts[4])),
            (5, "team", "DELETE") when parts[3] == "members" => Guarded(isAdmin, context, user, () => RemoveTeamMember(quay, context, org, parts[2], parts[4])),
            (_, "quota", _) when !quay.Config.QuotaManagement => QuayResponses.ApiError(context, 404, "not_found", "Not Found"),
            (2, "quota", "GET") => Guarded(isAdmin, context, user, () => ListQuota(quay, context, org)),
            (2, "quota", "POST") => CreateQuota(quay, context, user, org),
            (3, "quota", "GET") => Guarded(isAdmin, context, user, () => GetQuota(quay, context, org, parts[2])),
            (3, "quota", "PUT") => ChangeQuota(quay, context, user, org, parts[2]),
            (2 or 3, "robots" or "quota", _) or (3 or 4 or 5, "team", _) => MethodNotAllowed(context),
            _ => QuayResponses.ApiError(context, 404, "not_found", "Not Found"),
        };
    }

    /// <summary><c>AdministerOrganizationPermission</c> (or membership, for reads) or <c>Unauthorized</c>.</summary>
    private static Task Guarded(bool allowed, HttpContext context, string? user, Func<Task> resource) =>
        allowed ? resource() : Unauthorized(context, user);

    private static Task ListRobots(QuayInstance quay, HttpContext context, string org)
    {
        var includeToken = !IsFalse(context.Request.Query["token"].FirstOrDefault());
        var robots = quay.Database.Robots(org).Select(r =>
        {
            var teams = quay.Database.Teams(org).Where(t => t.Members.Contains(r.Name))
                .Select(t => (JsonNode)new JsonObject { ["name"] = t.Name, ["avatar"] = Avatar.For(t.Name, t.Name, "team") });
            var view = new JsonObject
            {
                ["name"] = r.Name,
                ["created"] = FormatDate(r.Created),
                ["last_accessed"] = null,
                ["teams"] = new JsonArray(teams.ToArray()),
                ["repositories"] = new JsonArray(),
                ["description"] = r.Description,
            };
            if (includeToken)
            {
                view["token"] = r.Token;
            }

            return (JsonNode)view;
        });
        return QuayResponses.Restful(context, 200, new JsonObject { ["robots"] = new JsonArray(robots.ToArray()) });
    }

    private static Task GetRobot(QuayInstance quay, HttpContext context, string org, string shortName) =>
        quay.Database.FindRobot(org, shortName) is { } robot
            ? QuayResponses.Restful(context, 200, RobotView(robot, metadata: true))
            : QuayResponses.Jsonify(context, 400, Message("Could not find robot with specified username"));

    private static async Task CreateRobot(QuayInstance quay, HttpContext context, string org, string shortName)
    {
        // validate_json_request("CreateRobot", optional=True): a body is optional, but one given must fit the schema.
        var body = await ReadJsonObject(context.Request) ?? [];
        if (body["description"] is { } d && d.GetValueKind() != JsonValueKind.String)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request",
                $"{d.ToJsonString()} is not of type 'string'\n\nFailed validating 'type' in schema['properties']['description']");
            return;
        }

        var description = body["description"]?.GetValue<string>() ?? "";
        if (description.Length > 255)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request",
                $"'{description}' is too long\n\nFailed validating 'maxLength' in schema['properties']['description']");
            return;
        }

        var (robot, error) = quay.Database.CreateRobot(org, shortName, description);
        if (robot is null)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", error!);
            return;
        }

        await QuayResponses.Restful(context, 201, RobotView(robot, metadata: true));
    }

    private static Task DeleteRobot(QuayInstance quay, HttpContext context, string org, string shortName) =>
        quay.Database.DeleteRobot(org, shortName)
            ? NoContent(context)
            : QuayResponses.Jsonify(context, 400, Message($"Could not find robot with username: {org}+{shortName}"));

    private static Task RegenerateRobot(QuayInstance quay, HttpContext context, string org, string shortName) =>
        quay.Database.RegenerateRobot(org, shortName) is { } robot
            ? QuayResponses.Restful(context, 200, RobotView(robot, metadata: false))
            : QuayResponses.Jsonify(context, 400, Message("Could not find robot with specified username"));

    /// <summary><c>Robot.to_dict(include_metadata, include_token=True)</c>.</summary>
    private static JsonObject RobotView(QuayRobot robot, bool metadata)
    {
        var view = new JsonObject
        {
            ["name"] = robot.Name,
            ["created"] = FormatDate(robot.Created),
            ["last_accessed"] = null,
            ["description"] = robot.Description,
            ["token"] = robot.Token,
        };
        if (metadata)
        {
            view["unstructured_metadata"] = new JsonObject();
        }

        return view;
    }

    private static async Task PutTeam(QuayInstance quay, HttpContext context, string org, string team)
    {
        var body = await ReadJsonObject(context.Request);
        if (body is null)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", "Missing JSON body");
            return;
        }

        if (body["role"] is not JsonValue role || role.GetValueKind() != JsonValueKind.String)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", body["role"] is null
                ? $"'role' is a required property\n\nFailed validating 'required' in schema:\n    {{'type': 'object', 'description': 'Description of a team', 'required': ['role'], 'properties': {{'role': {{'type': 'string', 'description': 'Org wide permissions that should apply to the team', 'enum': ['member', 'creator', 'admin']}}, 'description': {{'type': 'string', 'description': 'Markdown description for the team'}}}}}}\n\nOn instance:\n    {PythonJson.Dumps(body, sortKeys: false, compact: false)}"
                : $"{body["role"]!.ToJsonString()} is not of type 'string'\n\nFailed validating 'type' in schema['properties']['role']");
            return;
        }

        var roleName = role.GetValue<string>();
        if (!TeamRoles.Contains(roleName))
        {
            await QuayResponses.ApiError(context, 400, "invalid_request",
                $"'{roleName}' is not one of ['member', 'creator', 'admin']\n\nFailed validating 'enum' in schema['properties']['role']");
            return;
        }

        var existing = quay.Database.FindTeam(org, team);
        if (existing is null && QuayNames.NamespaceProblem(team) is { } problem && !problem.EndsWith("characters in length", StringComparison.Ordinal))
        {
            await QuayResponses.Jsonify(context, 400, Message($"Invalid team name {team}: Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$"));
            return;
        }

        if (existing is { Role: "admin" } && roleName != "admin" && existing.Name == "owners" && AdminTeams(quay, org).Count <= 1)
        {
            await QuayResponses.Jsonify(context, 400, Message(
                $"Cannot remove admin from team '{team}' because calling user would no longer have admin on org '{org}'"));
            return;
        }

        var created = quay.Database.PutTeam(org, team, roleName, body["description"]?.GetValue<string>());
        var row = quay.Database.FindTeam(org, team)!;
        await QuayResponses.Restful(context, 200, new JsonObject
        {
            ["name"] = row.Name,
            ["description"] = row.Description,
            ["can_view"] = true,
            ["role"] = row.Role,
            ["avatar"] = Avatar.For(row.Name, row.Name, "team"),
            ["new_team"] = created,
        });
    }

    private static List<QuayTeamRow> AdminTeams(QuayInstance quay, string org) =>
        quay.Database.Teams(org).Where(t => t.Role == "admin").ToList();

    private static Task DeleteTeam(QuayInstance quay, HttpContext context, string org, string team, string user)
    {
        if (quay.Database.FindTeam(org, team) is not { } row)
        {
            return QuayResponses.Jsonify(context, 400, Message($"Team '{team}' is not a team in org '{org}'"));
        }

        var adminTeams = AdminTeams(quay, org).Where(t => t.Members.Contains(user)).ToList();
        if (row.Role == "admin" && adminTeams.Count <= 1 && adminTeams.FirstOrDefault()?.Name == team)
        {
            return QuayResponses.Jsonify(context, 400, Message(
                $"Deleting team '{team}' would remove admin ability for user '{user}' in organization '{org}'"));
        }

        quay.Database.DeleteTeam(org, team);
        return NoContent(context);
    }

    private static Task TeamMembers(QuayInstance quay, HttpContext context, string org, string team)
    {
        if (quay.Database.FindTeam(org, team) is not { } row)
        {
            return QuayResponses.ApiError(context, 404, "not_found", "Not Found");
        }

        var members = row.Members.Order(StringComparer.Ordinal).Select(m => (JsonNode)MemberView(quay, m, invited: false));
        return QuayResponses.Restful(context, 200, new JsonObject
        {
            ["name"] = team,
            ["members"] = new JsonArray(members.ToArray()),
            ["can_edit"] = true,
        });
    }

    private static Task AddTeamMember(QuayInstance quay, HttpContext context, string org, string team, string member)
    {
        if (quay.Database.FindTeam(org, team) is null)
        {
            return QuayResponses.ApiError(context, 404, "not_found", "Not Found");
        }

        var isRobot = member.Contains('+', StringComparison.Ordinal);
        var exists = isRobot
            ? quay.Database.FindRobot(member.Split('+', 2)[0], member.Split('+', 2)[1]) is not null
            : quay.Database.Find(member) is { IsOrganization: false };
        if (!exists)
        {
            return QuayResponses.ApiError(context, 400, "invalid_request", "Unknown user");
        }

        if (isRobot && !member.StartsWith(org + "+", StringComparison.Ordinal))
        {
            return QuayResponses.Jsonify(context, 400, Message(
                "Cannot add the specified robot to this team, as it is not a member of the organization"));
        }

        // With FEATURE_MAILING and REQUIRE_TEAM_INVITE (both on by default) a user outside the organization is invited.
        if (!isRobot && quay.Config.Mailing && !quay.Database.IsOrganizationMember(org, member))
        {
            return QuayResponses.Restful(context, 200, MemberView(quay, member, invited: true));
        }

        if (!quay.Database.AddTeamMember(org, team, member))
        {
            return QuayResponses.Jsonify(context, 400, Message($"User {member} is already a member of team {team}"));
        }

        return QuayResponses.Restful(context, 200, MemberView(quay, member, invited: false));
    }

    private static Task RemoveTeamMember(QuayInstance quay, HttpContext context, string org, string team, string member)
    {
        if (quay.Database.FindTeam(org, team) is null)
        {
            return QuayResponses.ApiError(context, 404, "not_found", "Not Found");
        }

        return quay.Database.RemoveTeamMember(org, team, member)
            ? NoContent(context)
            : QuayResponses.Jsonify(context, 400, Message($"User {member} does not belong to team {team}"));
    }

    /// <summary>team.py <c>member_view</c>.</summary>
    private static JsonObject MemberView(QuayInstance quay, string member, bool invited)
    {
        var isRobot = member.Contains('+', StringComparison.Ordinal);
        var email = isRobot ? null : quay.Database.Find(member)?.Email;
        return new JsonObject
        {
            ["name"] = member,
            ["kind"] = "user",
            ["is_robot"] = isRobot,
            ["avatar"] = Avatar.For(member, email, isRobot ? "robot" : "user"),
            ["invited"] = invited,
        };
    }

    private static Task ListQuota(QuayInstance quay, HttpContext context, string org) =>
        QuayResponses.Restful(context, 200, quay.Database.Quota(org) is { } quota ? new JsonArray(QuotaView(quota)) : new JsonArray());

    private static Task GetQuota(QuayInstance quay, HttpContext context, string org, string id) =>
        quay.Database.Quota(org) is { } quota && quota.Id.ToString(CultureInfo.InvariantCulture) == id
            ? QuayResponses.Restful(context, 200, QuotaView(quota))
            : QuayResponses.ApiError(context, 404, "not_found", "Not Found");

    private static async Task CreateQuota(QuayInstance quay, HttpContext context, string? user, string org)
    {
        var body = await ReadJsonObject(context.Request);
        if (body is null)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", "Missing JSON body");
            return;
        }

        if (LimitBytes(body) is not { } limit)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request",
                $"{PythonJson.Dumps(body, sortKeys: false, compact: false)} is not valid under any of the given schemas\n\nFailed validating 'oneOf' in schema");
            return;
        }

        if (user is null || !quay.Config.SuperUsers.Contains(user))
        {
            await Unauthorized(context, user);
            return;
        }

        if (quay.Database.Find(org) is not { IsOrganization: true })
        {
            await QuayResponses.ApiError(context, 404, "not_found", "Not Found");
            return;
        }

        if (quay.Database.Quota(org) is not null)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", $"Organization quota for '{org}' already exists");
            return;
        }

        if (limit <= 0)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", $"Invalid quota size limit value: '{limit}'");
            return;
        }

        quay.Database.CreateQuota(org, limit);
        await QuayResponses.Restful(context, 201, "Created");
    }

    private static async Task ChangeQuota(QuayInstance quay, HttpContext context, string? user, string org, string id)
    {
        var body = await ReadJsonObject(context.Request);
        if (body is null)
        {
            await QuayResponses.ApiError(context, 400, "invalid_request", "Missing JSON body");
            return;
        }

        if (user is null || !quay.Config.SuperUsers.Contains(user))
        {
            await Unauthorized(context, user);
            return;
        }

        if (quay.Database.Quota(org) is not { } quota || quota.Id.ToString(CultureInfo.InvariantCulture) != id)
        {
            await QuayResponses.ApiError(context, 404, "not_found", "Not Found");
            return;
        }

        // "if limit_bytes:" - zero or none leaves the quota as it is.
        if (LimitBytes(body) is { } limit and not 0)
        {
            quota = quay.Database.ChangeQuota(org, quota.Id, limit)!;
        }

        await QuayResponses.Restful(context, 200, QuotaView(quota));
    }

    private static long? LimitBytes(JsonObject body) =>
        body["limit_bytes"] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var bytes) ? bytes : null;

    /// <summary>namespacequota.py <c>quota_view</c> (no DEFAULT_SYSTEM_REJECT_QUOTA_BYTES, no limits set).</summary>
    private static JsonObject QuotaView(QuayQuota quota) => new()
    {
        ["id"] = quota.Id,
        ["limit_bytes"] = quota.LimitBytes,
        ["limit"] = BestPrefix(quota.LimitBytes),
        ["default_config"] = false,
        ["limits"] = new JsonArray(),
        ["default_config_exists"] = false,
    };

    /// <summary><c>bitmath.Byte(n).best_prefix().format("{value:.1f} {unit}")</c>: NIST units.</summary>
    internal static string BestPrefix(long bytes)
    {
        string[] units = ["Byte", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        double value = bytes;
        var unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        return string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {units[unit]}");
    }

    /// <summary><c>return "", 204</c>: Werkzeug sends no body with a 204.</summary>
    private static Task NoContent(HttpContext context)
    {
        context.Response.StatusCode = 204;
        context.Response.ContentType = "application/json";
        return Task.CompletedTask;
    }

    private static Task MethodNotAllowed(HttpContext context) =>
        QuayResponses.Restful(context, 405, new JsonObject { ["message"] = "The method is not allowed for the requested URL." });

    private static bool IsFalse(string? value) => value?.ToLowerInvariant() is "false" or "0" or "no" or "f";

    /// <summary>Python's <c>email.utils.formatdate</c>, as Quay's <c>format_date</c> uses it.</summary>
    private static string FormatDate(DateTimeOffset at) =>
        at.UtcDateTime.ToString("ddd, dd MMM yyyy HH:mm:ss", CultureInfo.InvariantCulture) + " -0000";
}
