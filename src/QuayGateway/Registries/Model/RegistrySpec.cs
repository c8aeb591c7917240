using System.Text.Json;

namespace QuayGateway.Registries.Model;

/// <summary>A component of the QuayRegistry, as in the CRD's <c>spec.components[]</c>.</summary>
/// <param name="Kind">The component kind, from the CRD's enum.</param>
/// <param name="Managed">Whether the operator manages the component; null keeps the operator's default (managed).</param>
/// <param name="Overrides">Per-component overrides as in the CRD (<c>replicas</c>, <c>env</c>, <c>resources</c>, <c>volumeSize</c>, ...); only on managed components.</param>
/// <param name="SecretRef">A Secret the component reads its settings from (for example an unmanaged component's TLS pair).</param>
public sealed record ComponentSpec(
    string Kind,
    bool? Managed,
    Dictionary<string, JsonElement>? Overrides = null,
    SecretReference? SecretRef = null);

/// <param name="Name">The Secret's name, in the registry's namespace.</param>
public sealed record SecretReference(string? Name);

/// <summary>
/// A Quay organization, and optionally what the gateway brings about in it once the registry is Available: robots
/// (with pull secrets), teams and a storage quota. Missing ones are created and differing ones changed; nothing the
/// gateway did not create is deleted.
/// </summary>
/// <param name="Name">The organization's name in Quay (lowercase letters, digits, <c>_</c>; 2 to 255 characters).</param>
/// <param name="Email">The organization's e-mail address; Quay wants one while mailing is on, and unique across users and organizations.</param>
/// <param name="Robots">Robot accounts to create in the organization, each with optional pull secrets.</param>
/// <param name="Teams">Teams to create or bring to the given role and members.</param>
/// <param name="Quota">A storage quota to set; needs FEATURE_QUOTA_MANAGEMENT.</param>
public sealed record OrganizationSpec(
    string Name,
    string? Email,
    IReadOnlyList<RobotSpec>? Robots = null,
    IReadOnlyList<TeamSpec>? Teams = null,
    QuotaSpec? Quota = null);

/// <summary>A robot account <c>org+name</c>; <c>pullSecrets</c> are kept in the registry's cluster with its credentials.</summary>
/// <param name="Name">The robot's short name; Quay names it <c>org+name</c>.</param>
/// <param name="Description">What the robot is for, shown in Quay.</param>
/// <param name="PullSecrets"><c>kubernetes.io/dockerconfigjson</c> Secrets to write with the robot's credentials in the registry's cluster.</param>
public sealed record RobotSpec(string Name, string? Description = null, IReadOnlyList<PullSecretSpec>? PullSecrets = null);

/// <summary>A <c>kubernetes.io/dockerconfigjson</c> Secret in the registry's cluster, within the tenant's namespaces.</summary>
/// <param name="Namespace">The namespace of the Secret; the tenant's policy must allow it.</param>
/// <param name="Name">The Secret's name (a DNS-1123 subdomain).</param>
public sealed record PullSecretSpec(string Namespace, string Name);

/// <summary>A team with its org-wide role (<c>member</c>, <c>creator</c> or <c>admin</c>) and its members (users or <c>org+robot</c>).</summary>
/// <param name="Name">The team's name in the organization.</param>
/// <param name="Role">The team's organization-wide role.</param>
/// <param name="Members">User names or robots (<c>org+robot</c>) that belong to the team; users are invited when Quay requires it.</param>
public sealed record TeamSpec(string Name, string Role, IReadOnlyList<string>? Members = null);

/// <summary>The organization's storage quota; needs FEATURE_QUOTA_MANAGEMENT.</summary>
/// <param name="LimitBytes">The storage limit of the organization, in bytes.</param>
public sealed record QuotaSpec(long LimitBytes);

/// <param name="System">The ticketing system, for example <c>jira</c> or <c>servicenow</c>.</param>
/// <param name="Key">The ticket's key in that system, for example <c>OPS-123</c>.</param>
public sealed record TicketReference(string System, string Key);

/// <summary>
/// The accepted request as stored and returned, with secrets redacted: bundle values and the password are not here
/// (they are kept encrypted apart, see <see cref="RegistrySecrets"/>).
/// </summary>
/// <param name="Components">The components as requested (kinds left out keep the operator's default).</param>
/// <param name="ConfigBundle">The config-bundle files that were given, each value replaced by <c>(redacted)</c>; null when none was given.</param>
/// <param name="ConfigBundleSecret">The name of the existing config-bundle Secret that was given; null when none was.</param>
/// <param name="InitialUser">The first Quay user asked for, without its password; null when none was.</param>
/// <param name="Organizations">The Quay organizations asked for.</param>
/// <param name="Labels">The labels given with the request.</param>
/// <param name="Ticket">The ticket the request belongs to; null when none was given.</param>
public sealed record RegistrySpec(
    IReadOnlyList<ComponentSpec> Components,
    IReadOnlyDictionary<string, string>? ConfigBundle,
    string? ConfigBundleSecret,
    InitialUserSummary? InitialUser,
    IReadOnlyList<OrganizationSpec> Organizations,
    IReadOnlyDictionary<string, string> Labels,
    TicketReference? Ticket)
{
    public const string Redacted = "(redacted)";

    public static RegistrySpec From(CreateRegistryRequest request) => new(
        request.Components ?? [],
        request.ConfigBundle?.ToDictionary(e => e.Key, _ => Redacted, StringComparer.Ordinal),
        request.ConfigBundleSecret,
        request.InitialUser is { } user ? new InitialUserSummary(user.Username, user.Email) : null,
        request.Organizations ?? [],
        request.Labels ?? new Dictionary<string, string>(),
        request.Ticket);
}

/// <summary>The initial user without its password.</summary>
/// <param name="Username">The Quay user name asked for.</param>
/// <param name="Email">The user's e-mail address.</param>
public sealed record InitialUserSummary(string Username, string Email);
