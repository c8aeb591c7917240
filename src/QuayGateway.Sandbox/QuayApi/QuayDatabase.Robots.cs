using System.Security.Cryptography;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>An organization's robot account (<c>org+short</c>) and its 64-character token.</summary>
internal sealed record QuayRobot(string Organization, string ShortName, string Token, string Description, DateTimeOffset Created)
{
    public string Name => $"{Organization}+{ShortName}";
}

/// <summary>A team of an organization: its org-wide role and its members (users or the org's robots).</summary>
internal sealed record QuayTeamRow(string Organization, string Name, string Role, string Description, IReadOnlySet<string> Members);

/// <summary>An organization's storage quota (Quay supports one per namespace).</summary>
internal sealed record QuayQuota(int Id, string Organization, long LimitBytes);

/// <summary>Robots, teams and quotas: the day-2 objects of an organization (Quay's robot.py, team.py, namespacequota.py).</summary>
internal sealed partial class QuayDatabase
{
    private const string RobotTokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly Dictionary<string, QuayRobot> _robots = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Org, string Team), QuayTeamRow> _teams = [];
    private readonly Dictionary<string, QuayQuota> _quotas = new(StringComparer.Ordinal);
    private int _nextQuotaId = 1;

    /// <summary>Quay's model: <c>create_robot</c> validates the short name, then refuses an existing one.</summary>
    public (QuayRobot? Robot, string? Error) CreateRobot(string org, string shortName, string description)
    {
        if (QuayNames.NamespaceProblem(shortName) is { } problem)
        {
            return (null, $"The name for the robot '{shortName}' is invalid: {problem[(problem.IndexOf(": ", StringComparison.Ordinal) + 2)..]}");
        }

        lock (_gate)
        {
            var name = $"{org}+{shortName}";
            if (_robots.ContainsKey(name))
            {
                return (null, $"Existing robot with name: {name}");
            }

            var robot = new QuayRobot(org, shortName, NewRobotToken(), description.Length > 255 ? description[..255] : description, clock.GetUtcNow());
            _robots[name] = robot;
            return (robot, null);
        }
    }

    public QuayRobot? FindRobot(string org, string shortName)
    {
        lock (_gate)
        {
            return _robots.GetValueOrDefault($"{org}+{shortName}");
        }
    }

    public IReadOnlyList<QuayRobot> Robots(string org)
    {
        lock (_gate)
        {
            return _robots.Values.Where(r => r.Organization == org).OrderBy(r => r.ShortName, StringComparer.Ordinal).ToList();
        }
    }

    public QuayRobot? RegenerateRobot(string org, string shortName)
    {
        lock (_gate)
        {
            var name = $"{org}+{shortName}";
            if (!_robots.TryGetValue(name, out var robot))
            {
                return null;
            }

            return _robots[name] = robot with { Token = NewRobotToken() };
        }
    }

    public bool DeleteRobot(string org, string shortName)
    {
        lock (_gate)
        {
            var name = $"{org}+{shortName}";
            if (!_robots.Remove(name))
            {
                return false;
            }

            foreach (var key in _teams.Keys.Where(k => k.Org == org).ToList())
            {
                _teams[key] = _teams[key] with { Members = _teams[key].Members.Where(m => m != name).ToHashSet(StringComparer.Ordinal) };
            }

            return true;
        }
    }

    /// <summary>The team, with the implicit <c>owners</c> team every organization starts with (its creator inside).</summary>
    public QuayTeamRow? FindTeam(string org, string team)
    {
        lock (_gate)
        {
            return FindTeamLocked(org, team);
        }
    }

    public IReadOnlyList<QuayTeamRow> Teams(string org)
    {
        lock (_gate)
        {
            FindTeamLocked(org, "owners");
            return _teams.Values.Where(t => t.Organization == org).OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Creates the team or changes its role and description; true when it was created.</summary>
    public bool PutTeam(string org, string team, string role, string? description)
    {
        lock (_gate)
        {
            if (FindTeamLocked(org, team) is { } existing)
            {
                _teams[(org, team)] = existing with { Role = role, Description = description ?? existing.Description };
                return false;
            }

            _teams[(org, team)] = new QuayTeamRow(org, team, role, description ?? "", new HashSet<string>(StringComparer.Ordinal));
            return true;
        }
    }

    public bool DeleteTeam(string org, string team)
    {
        lock (_gate)
        {
            FindTeamLocked(org, team);
            if (team == "owners")
            {
                _deletedOwners.Add(org);
            }

            return _teams.Remove((org, team));
        }
    }

    /// <summary>Adds a member; false when it already was one.</summary>
    public bool AddTeamMember(string org, string team, string member)
    {
        lock (_gate)
        {
            var row = FindTeamLocked(org, team)!;
            if (row.Members.Contains(member))
            {
                return false;
            }

            _teams[(org, team)] = row with { Members = row.Members.Append(member).ToHashSet(StringComparer.Ordinal) };
            return true;
        }
    }

    public bool RemoveTeamMember(string org, string team, string member)
    {
        lock (_gate)
        {
            var row = FindTeamLocked(org, team)!;
            if (!row.Members.Contains(member))
            {
                return false;
            }

            _teams[(org, team)] = row with { Members = row.Members.Where(m => m != member).ToHashSet(StringComparer.Ordinal) };
            return true;
        }
    }

    /// <summary>Whether the user is in any team of the organization (then Quay adds it to a team without an invite).</summary>
    public bool IsOrganizationMember(string org, string user)
    {
        lock (_gate)
        {
            FindTeamLocked(org, "owners");
            return _teams.Values.Any(t => t.Organization == org && t.Members.Contains(user));
        }
    }

    public QuayQuota? Quota(string org)
    {
        lock (_gate)
        {
            return _quotas.GetValueOrDefault(org);
        }
    }

    public QuayQuota? CreateQuota(string org, long limitBytes)
    {
        lock (_gate)
        {
            if (_quotas.ContainsKey(org))
            {
                return null;
            }

            return _quotas[org] = new QuayQuota(_nextQuotaId++, org, limitBytes);
        }
    }

    public QuayQuota? ChangeQuota(string org, int id, long limitBytes)
    {
        lock (_gate)
        {
            if (!_quotas.TryGetValue(org, out var quota) || quota.Id != id)
            {
                return null;
            }

            return _quotas[org] = quota with { LimitBytes = limitBytes };
        }
    }

    private QuayTeamRow? FindTeamLocked(string org, string team)
    {
        if (_teams.TryGetValue((org, team), out var row))
        {
            return row;
        }

        // Every organization is created with an "owners" team (role admin) holding its creator.
        if (team == "owners" && _namespaces.Find(n => n.Name == org) is { IsOrganization: true, AdminUser: { } admin }
            && !_deletedOwners.Contains(org))
        {
            return _teams[(org, team)] = new QuayTeamRow(org, "owners", "admin", "", new HashSet<string>(StringComparer.Ordinal) { admin });
        }

        return null;
    }

    private readonly HashSet<string> _deletedOwners = new(StringComparer.Ordinal);

    private static string NewRobotToken() => RandomNumberGenerator.GetString(RobotTokenAlphabet, 64);
}
