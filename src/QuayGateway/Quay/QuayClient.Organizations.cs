namespace QuayGateway.Quay;

/// <summary>An organization's robots, teams and quota (Quay's robot.py, team.py, namespacequota.py).</summary>
public sealed partial class QuayClient
{
    private static string Org(string org) => "api/v1/organization/" + Uri.EscapeDataString(org);

    public Task<QuayAnswer> ListRobotsAsync(QuayTarget target, string token, string org, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Get, Org(org) + "/robots?token=false", token, content: null, ct);

    /// <summary>One robot, its token included (Quay shows it to the organization's admins).</summary>
    public Task<QuayAnswer> GetRobotAsync(QuayTarget target, string token, string org, string robot, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Get, $"{Org(org)}/robots/{Uri.EscapeDataString(robot)}", token, content: null, ct);

    public Task<QuayAnswer> CreateRobotAsync(QuayTarget target, string token, string org, string robot, string? description, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Put, $"{Org(org)}/robots/{Uri.EscapeDataString(robot)}", token,
            JsonContent.Create(description is null ? new Dictionary<string, string>() : new() { ["description"] = description }), ct);

    public Task<QuayAnswer> RegenerateRobotAsync(QuayTarget target, string token, string org, string robot, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Post, $"{Org(org)}/robots/{Uri.EscapeDataString(robot)}/regenerate", token, content: null, ct);

    public Task<QuayAnswer> DeleteRobotAsync(QuayTarget target, string token, string org, string robot, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Delete, $"{Org(org)}/robots/{Uri.EscapeDataString(robot)}", token, content: null, ct);

    /// <summary>Creates the team or sets its role; Quay's answer says <c>new_team</c>.</summary>
    public Task<QuayAnswer> PutTeamAsync(QuayTarget target, string token, string org, string team, string role, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Put, $"{Org(org)}/team/{Uri.EscapeDataString(team)}", token,
            JsonContent.Create(new Dictionary<string, string> { ["role"] = role }), ct);

    public Task<QuayAnswer> ListTeamMembersAsync(QuayTarget target, string token, string org, string team, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Get, $"{Org(org)}/team/{Uri.EscapeDataString(team)}/members", token, content: null, ct);

    public Task<QuayAnswer> AddTeamMemberAsync(QuayTarget target, string token, string org, string team, string member, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Put, $"{Org(org)}/team/{Uri.EscapeDataString(team)}/members/{Uri.EscapeDataString(member)}", token, content: null, ct);

    public Task<QuayAnswer> RemoveTeamMemberAsync(QuayTarget target, string token, string org, string team, string member, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Delete, $"{Org(org)}/team/{Uri.EscapeDataString(team)}/members/{Uri.EscapeDataString(member)}", token, content: null, ct);

    /// <summary>The organization's quotas; 404 when Quay runs without FEATURE_QUOTA_MANAGEMENT.</summary>
    public Task<QuayAnswer> ListQuotasAsync(QuayTarget target, string token, string org, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Get, Org(org) + "/quota", token, content: null, ct);

    public Task<QuayAnswer> CreateQuotaAsync(QuayTarget target, string token, string org, long limitBytes, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Post, Org(org) + "/quota", token, JsonContent.Create(new { limit_bytes = limitBytes }), ct);

    public Task<QuayAnswer> ChangeQuotaAsync(QuayTarget target, string token, string org, long quotaId, long limitBytes, CancellationToken ct) =>
        SendAsync(target, HttpMethod.Put, $"{Org(org)}/quota/{quotaId}", token, JsonContent.Create(new { limit_bytes = limitBytes }), ct);
}
