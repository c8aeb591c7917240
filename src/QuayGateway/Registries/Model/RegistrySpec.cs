using System.Text.Json;

namespace QuayGateway.Registries.Model;

/// <summary>A component of the QuayRegistry, as in the CRD's <c>spec.components[]</c>.</summary>
public sealed record ComponentSpec(
    string Kind,
    bool? Managed,
    Dictionary<string, JsonElement>? Overrides = null,
    SecretReference? SecretRef = null);

public sealed record SecretReference(string? Name);

public sealed record OrganizationSpec(string Name, string? Email);

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
