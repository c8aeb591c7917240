using System.ComponentModel.DataAnnotations;

namespace QuayGateway.Registries.Model;

/// <summary>The body of <c>POST /v1/registries</c>. Only <c>name</c> and <c>namespace</c> are required.</summary>
public sealed record CreateRegistryRequest(
    [property: Required] string Name,
    [property: Required] string Namespace,
    string? Cluster = null,
    IReadOnlyList<ComponentSpec>? Components = null,
    IReadOnlyDictionary<string, string>? ConfigBundle = null,
    string? ConfigBundleSecret = null,
    InitialUserRequest? InitialUser = null,
    IReadOnlyList<OrganizationSpec>? Organizations = null,
    IReadOnlyDictionary<string, string>? Labels = null,
    TicketReference? Ticket = null);

/// <summary>The first Quay user, created through Quay's <c>/api/v1/user/initialize</c> once the registry is up.</summary>
public sealed record InitialUserRequest(
    [property: Required] string Username,
    [property: Required] string Email,
    [property: Required] string Password);
