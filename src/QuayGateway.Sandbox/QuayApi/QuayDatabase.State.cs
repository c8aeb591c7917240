namespace QuayGateway.Sandbox.QuayApi;

/// <summary>Everything one Quay's database holds, as the sandbox's state folder keeps it (JSON).</summary>
internal sealed record QuayDatabaseState(
    List<QuayNamespace> Namespaces,
    Dictionary<string, IssuedToken> Tokens,
    byte[] PasswordKey,
    Dictionary<string, string> PasswordHashes,
    List<QuayOAuthApplication> Applications,
    Dictionary<string, QuayMintedToken> Minted,
    Dictionary<string, QuaySession> Sessions,
    Dictionary<string, QuayRobot> Robots,
    List<QuayTeamState> Teams,
    Dictionary<string, QuayQuota> Quotas,
    int NextQuotaId,
    List<string> DeletedOwners);

internal sealed record QuayTeamState(string Organization, string Name, string Role, string Description, List<string> Members);

// Save and restore for a state folder: users, organizations, passwords, tokens, OAuth applications, robots, teams,
// quotas, and the key the password hashes use, so a restarted Quay accepts what it issued before.
internal sealed partial class QuayDatabase
{
    public QuayDatabaseState Save()
    {
        lock (_gate)
        {
            return new QuayDatabaseState(
                [.. _namespaces], new(_tokens, StringComparer.Ordinal), [.. _passwordKey], new(_passwordHashes, StringComparer.Ordinal),
                [.. _applications], new(_minted, StringComparer.Ordinal), new(_sessions, StringComparer.Ordinal), new(_robots, StringComparer.Ordinal),
                [.. _teams.Values.Select(t => new QuayTeamState(t.Organization, t.Name, t.Role, t.Description, [.. t.Members.Order(StringComparer.Ordinal)]))],
                new(_quotas, StringComparer.Ordinal), _nextQuotaId, [.. _deletedOwners.Order(StringComparer.Ordinal)]);
        }
    }

    public void Restore(QuayDatabaseState state)
    {
        lock (_gate)
        {
            _namespaces.Clear();
            _namespaces.AddRange(state.Namespaces);
            Refill(_tokens, state.Tokens);
            state.PasswordKey.CopyTo(_passwordKey, 0);
            Refill(_passwordHashes, state.PasswordHashes);
            _applications.Clear();
            _applications.AddRange(state.Applications);
            Refill(_minted, state.Minted);
            Refill(_sessions, state.Sessions);
            Refill(_robots, state.Robots);
            _teams.Clear();
            foreach (var team in state.Teams)
            {
                _teams[(team.Organization, team.Name)] = new QuayTeamRow(team.Organization, team.Name, team.Role, team.Description,
                    new HashSet<string>(team.Members, StringComparer.Ordinal));
            }

            Refill(_quotas, state.Quotas);
            _nextQuotaId = state.NextQuotaId;
            _deletedOwners.Clear();
            _deletedOwners.UnionWith(state.DeletedOwners);
        }
    }

    private static void Refill<T>(Dictionary<string, T> into, Dictionary<string, T> from)
    {
        into.Clear();
        foreach (var (key, value) in from)
        {
            into[key] = value;
        }
    }
}
