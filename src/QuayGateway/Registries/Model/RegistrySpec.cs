using System.Text.Json;

namespace QuayGateway.Registries.Model;

/// <summary>A component of the QuayRegistry, as in the CRD's <c>spec.components[]</c>.</summary>
public sealed record ComponentSpec(
    string Kind,
    bool? Managed,
    Dictionary<string, JsonElement>? Overrides = null,
    SecretReference? SecretRef = null);

public sealed record SecretReference(string? Name);

/// <summary>
/// A Quay organization, and optionally what the gateway brings about in it once the registry is Available: robots
/// (with pull secrets), teams and a storage quota. Missing ones are created and differing ones changed; nothing the
/// gateway did not create is deleted.
/// </summary>
public sealed record OrganizationSpec(
    string Name,
    string? Email,
    IReadOnlyList<RobotSpec>? Robots = null,
    IReadOnlyList<TeamSpec>? Teams = null,
    QuotaSpec? Quota = null);

/// <summary>A robot account <c>org+name</c>; <c>pullSecrets</c> are kept in the registry's cluster with its credentials.</summary>
public sealed record RobotSpec(string Name, string? Description = null, IReadOnlyList<PullSecretSpec>? PullSecrets = null);

/// <summary>A <c>kubernetes.io/dockerconfigjson</c> Secret in the registry's cluster, within the tenant's namespaces.</summary>
public sealed record PullSecretSpec(string Namespace, string Name);

/// <summary>A team with its org-wide role (<c>member</c>, <c>creator</c> or <c>admin</c>) and its members (users or <c>org+robot</c>).</summary>
public sealed record TeamSpec(string Name, string Role, IReadOnlyList<string>? Members = null);

/// <summary>The organization's storage quota; needs FEATURE_QUOTA_MANAGEMENT.</summary>
public sealed record QuotaSpec(long LimitBytes);

public sealed record TicketReference(string System, string Key);

/// <summary>
/// The accepted request as stored and returned, with secrets redacted: bundle values and the password are not here
/// (they are kept encrypted apart, see <see cref="RegistrySecrets"/>).
/// </summary>
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
public sealed record InitialUserSummary(string Username, string Email);
