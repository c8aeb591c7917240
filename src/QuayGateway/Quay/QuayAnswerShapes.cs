using System.Text.Json;
using System.Text.Json.Serialization;
using QuayGateway.Hosting;

namespace QuayGateway.Quay;

// Quay's answers that the gateway passes through as Quay sent them (snake_case, Quay's own fields), described for the
// OpenAPI document only (ProducesContent); see shared/reference/quay-app/wire-examples.json. Quay adds fields by
// version and feature flag, so each is open-ended.

/// <summary><c>GET /api/v1/superuser/users/</c>.</summary>
[OpenEnded("Quay's answer, passed through; Quay adds fields by version.")]
public sealed record QuayUserList(
    IReadOnlyList<QuayUser> Users,
    [property: JsonPropertyName("next_page")] string? NextPage);

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

[OpenEnded("Quay's answer, passed through.")]
public sealed record QuayAvatar(string Name, string Hash, string Color, string Kind);
