using System.Text.RegularExpressions;

namespace QuayGateway.Registries.Model;

/// <summary>
/// Quay's rules for robots, teams and quotas (robot.py, team.py, namespacequota.py) and Kubernetes' for pull-secret
/// names, checked up front with field errors named under the given prefix.
/// </summary>
public static partial class OrganizationResourceRules
{
    public static readonly IReadOnlyList<string> TeamRoles = ["member", "creator", "admin"];

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Dns1123Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Dns1123Subdomain();

    [GeneratedRegex(QuayRules.NamespacePattern)]
    private static partial Regex TeamName();

    public static void CheckRobot(Action<string, string> add, string prefix, RobotSpec? robot)
    {
        if (robot is null)
        {
            add(prefix, "An item must be an object, not null.");
            return;
        }

        if (QuayRules.CheckUsername(robot.Name) is { } nameError)
        {
            add($"{prefix}.name", nameError.Replace("Invalid namespace", "Invalid robot name", StringComparison.Ordinal));
        }

        if (robot.Description is { Length: > 255 })
        {
            add($"{prefix}.description", "The description is at most 255 characters.");
        }

        var seen = new HashSet<(string, string)>();
        var secrets = robot.PullSecrets ?? [];
        for (var i = 0; i < secrets.Count; i++)
        {
            var at = $"{prefix}.pullSecrets[{i}]";
            if (secrets[i] is not { } secret)
            {
                add(at, "An item must be an object, not null.");
                continue;
            }

            if (string.IsNullOrEmpty(secret.Namespace) || secret.Namespace.Length > 63 || !Dns1123Label().IsMatch(secret.Namespace))
            {
                add($"{at}.namespace", "The namespace must be a DNS-1123 label.");
            }

            if (string.IsNullOrEmpty(secret.Name) || secret.Name.Length > 253 || !Dns1123Subdomain().IsMatch(secret.Name))
            {
                add($"{at}.name", "The Secret name must be a DNS-1123 subdomain.");
            }
            else if (!seen.Add((secret.Namespace ?? "", secret.Name)))
            {
                add($"{at}.name", $"Secret '{secret.Namespace}/{secret.Name}' is named twice.");
            }
        }
    }

    public static void CheckTeam(Action<string, string> add, string prefix, string? name, string? role, IReadOnlyList<string>? members)
    {
        if (string.IsNullOrEmpty(name) || !TeamName().IsMatch(name))
        {
            add($"{prefix}.name", $"Invalid team name {name}: Namespace must match expression {QuayRules.NamespacePattern}");
        }

        if (role is null || !TeamRoles.Contains(role))
        {
            add($"{prefix}.role", "The role is one of member, creator, admin.");
        }

        var list = members ?? [];
        for (var i = 0; i < list.Count; i++)
        {
            var member = list[i];
            var parts = member?.Split('+') ?? [];
            if (member is null || parts.Length > 2 || parts.Any(p => QuayRules.CheckUsername(p) is not null))
            {
                add($"{prefix}.members[{i}]", "A member is a Quay username or a robot 'org+name'.");
            }
        }

        if (list.Where(m => m is not null).GroupBy(m => m).Any(g => g.Count() > 1))
        {
            add($"{prefix}.members", "A member is named twice.");
        }
    }

    public static void CheckQuota(Action<string, string> add, string prefix, long limitBytes)
    {
        if (limitBytes <= 0)
        {
            add($"{prefix}.limitBytes", $"Invalid quota size limit value: '{limitBytes}'");
        }
    }

    /// <summary>The robots, teams and quota of one organization of a create or PATCH request.</summary>
    public static void CheckOrganization(Action<string, string> add, string prefix, OrganizationSpec org)
    {
        var robots = org.Robots ?? [];
        var robotNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < robots.Count; i++)
        {
            CheckRobot(add, $"{prefix}.robots[{i}]", robots[i]);
            if (robots[i]?.Name is { } name && !robotNames.Add(name))
            {
                add($"{prefix}.robots[{i}].name", $"Existing robot with name: {org.Name}+{name}");
            }
        }

        var teams = org.Teams ?? [];
        var teamNames = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < teams.Count; i++)
        {
            if (teams[i] is not { } team)
            {
                add($"{prefix}.teams[{i}]", "An item must be an object, not null.");
                continue;
            }

            CheckTeam(add, $"{prefix}.teams[{i}]", team.Name, team.Role, team.Members);
            if (team.Name is { } name && !teamNames.Add(name))
            {
                add($"{prefix}.teams[{i}].name", $"Team '{name}' is declared twice.");
            }
        }

        if (org.Quota is { } quota)
        {
            CheckQuota(add, $"{prefix}.quota", quota.LimitBytes);
        }
    }

    /// <summary>Each declared pull secret's namespace with its field, for the tenant's namespace check.</summary>
    public static IEnumerable<(string Field, string Namespace)> PullSecretNamespaces(IReadOnlyList<OrganizationSpec>? organizations) =>
        (organizations ?? []).SelectMany((org, o) => (org?.Robots ?? []).SelectMany((robot, r) => (robot?.PullSecrets ?? [])
            .Select((secret, s) => ($"organizations[{o}].robots[{r}].pullSecrets[{s}].namespace", secret?.Namespace ?? ""))))
            .Where(s => s.Item2.Length > 0);
}
