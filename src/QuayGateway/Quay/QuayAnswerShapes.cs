using System.Text.Json;
using System.Text.Json.Serialization;
using QuayGateway.Hosting;

namespace QuayGateway.Quay;

// Quay's answers that the gateway passes through as Quay sent them (snake_case, Quay's own fields), described for the
// OpenAPI document only (ProducesContent); see shared/reference/quay-app/wire-examples.json. Quay adds fields by
// version and feature flag, so each is open-ended.

/// <summary><c>GET /api/v1/superuser/users/</c>.</summary>
/// <param name="Users">The users, as Quay lists them.</param>
/// <param name="NextPage">Quay's token for the next page; absent on the last one.</param>
[OpenEnded("Quay's answer, passed through; Quay adds fields by version.")]
public sealed record QuayUserList(
    IReadOnlyList<QuayUser> Users,
    [property: JsonPropertyName("next_page")] string? NextPage);

/// <param name="Kind">Always <c>user</c>.</param>
/// <param name="Name">The user name.</param>
/// <param name="Username">The user name (Quay sends it twice).</param>
/// <param name="Email">The user's e-mail address.</param>
/// <param name="Verified">Whether the e-mail address is verified.</param>
/// <param name="Avatar">The avatar Quay draws for the user.</param>
/// <param name="SuperUser">Whether the user is a superuser (listed in SUPER_USERS).</param>
/// <param name="GlobalReadonlySuperUser">Whether the user is a global read-only superuser.</param>
/// <param name="Enabled">Whether the user may sign in.</param>
[OpenEnded("Quay's answer, passed through; quotas and quota_report appear with FEATURE_QUOTA_MANAGEMENT.")]
public sealed record QuayUser(
    string Kind,
    string Name,
    string Username,
    string? Email,
    bool Verified,
    QuayAvatar Avatar,
    [property: JsonPropertyName("super_user")] bool SuperUser,
    [property: JsonPropertyName("global_readonly_super_user")] bool? GlobalReadonlySuperUser,
    bool Enabled);

/// <summary><c>GET /api/v1/organization/{org}</c>: the admin view has every field, a non-member's view only the first five.</summary>
/// <param name="Name">The organization's name.</param>
/// <param name="Email">The organization's e-mail address.</param>
/// <param name="Avatar">The avatar Quay draws for the organization.</param>
/// <param name="IsAdmin">Whether the caller administers the organization.</param>
/// <param name="IsMember">Whether the caller is a member.</param>
/// <param name="Teams">The teams by name (admin view only).</param>
/// <param name="OrderedTeams">The team names in Quay's order (admin view only).</param>
/// <param name="InvoiceEmail">Whether invoices go by e-mail (admin view only).</param>
/// <param name="InvoiceEmailAddress">Where invoices go (admin view only).</param>
/// <param name="TagExpirationS">The default tag expiration, in seconds (admin view only).</param>
/// <param name="IsFreeAccount">Whether the organization is on the free plan (admin view only).</param>
/// <param name="Quotas">The organization's quotas, with FEATURE_QUOTA_MANAGEMENT.</param>
/// <param name="QuotaReport">The organization's storage use against its quota, with FEATURE_QUOTA_MANAGEMENT.</param>
[OpenEnded("Quay's answer, passed through; quotas and quota_report appear with FEATURE_QUOTA_MANAGEMENT.")]
public sealed record QuayOrganization(
    string Name,
    string Email,
    QuayAvatar Avatar,
    [property: JsonPropertyName("is_admin")] bool IsAdmin,
    [property: JsonPropertyName("is_member")] bool IsMember,
    IReadOnlyDictionary<string, QuayTeam>? Teams,
    [property: JsonPropertyName("ordered_teams")] IReadOnlyList<string>? OrderedTeams,
    [property: JsonPropertyName("invoice_email")] bool? InvoiceEmail,
    [property: JsonPropertyName("invoice_email_address")] string? InvoiceEmailAddress,
    [property: JsonPropertyName("tag_expiration_s")] long? TagExpirationS,
    [property: JsonPropertyName("is_free_account")] bool? IsFreeAccount,
    [property: OpenEnded("Quay's quota objects, with FEATURE_QUOTA_MANAGEMENT.")] IReadOnlyList<JsonElement>? Quotas,
    [property: JsonPropertyName("quota_report"), OpenEnded("Quay's quota report, with FEATURE_QUOTA_MANAGEMENT.")] Dictionary<string, JsonElement>? QuotaReport);

/// <param name="Name">The team's name.</param>
/// <param name="Description">The team's description.</param>
/// <param name="Role">The team's organization-wide role: <c>member</c>, <c>creator</c> or <c>admin</c>.</param>
/// <param name="Avatar">The avatar Quay draws for the team.</param>
/// <param name="CanView">Whether the caller can see the team's members.</param>
/// <param name="RepoCount">How many repositories the team has permissions on.</param>
/// <param name="MemberCount">How many members the team has.</param>
/// <param name="IsSynced">Whether the team is synced from a directory (LDAP, OIDC).</param>
[OpenEnded("Quay's answer, passed through.")]
public sealed record QuayTeam(
    string Name,
    string? Description,
    string Role,
    QuayAvatar Avatar,
    [property: JsonPropertyName("can_view")] bool CanView,
    [property: JsonPropertyName("repo_count")] int? RepoCount,
    [property: JsonPropertyName("member_count")] int? MemberCount,
    [property: JsonPropertyName("is_synced")] bool? IsSynced);

/// <param name="Name">The name the avatar is drawn for.</param>
/// <param name="Hash">The avatar's hash (Gravatar-style).</param>
/// <param name="Color">The avatar's background color (<c>#rrggbb</c>).</param>
/// <param name="Kind">What the avatar stands for: <c>user</c>, <c>org</c>, <c>team</c> or <c>robot</c>.</param>
[OpenEnded("Quay's answer, passed through.")]
public sealed record QuayAvatar(string Name, string Hash, string Color, string Kind);
