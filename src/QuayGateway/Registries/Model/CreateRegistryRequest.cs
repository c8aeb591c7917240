using System.ComponentModel.DataAnnotations;

namespace QuayGateway.Registries.Model;

/// <summary>The body of <c>POST /v1/registries</c>. Only <c>name</c> and <c>namespace</c> are required.</summary>
/// <param name="Name">The QuayRegistry's name: a DNS-1123 label, unique per cluster and namespace.</param>
/// <param name="Namespace">The Kubernetes namespace to create the QuayRegistry in (a DNS-1123 label); created when missing. The tenant's policy must allow it.</param>
/// <param name="Cluster">The target cluster's name (see <c>GET /v1/clusters</c>); the default cluster when left out.</param>
/// <param name="Components">Components to manage or not, and their overrides, as in the CRD's <c>spec.components</c>; kinds left out keep the operator's default (managed).</param>
/// <param name="ConfigBundle">Files of the config bundle (at least <c>config.yaml</c>, a YAML mapping), at most 1 MiB in all; the gateway keeps them in a Secret it owns. Not with <c>configBundleSecret</c>.</param>
/// <param name="ConfigBundleSecret">The name of an existing config-bundle Secret in the namespace. Not with <c>configBundle</c>.</param>
/// <param name="InitialUser">The first Quay user, created once the registry is Available; needs <c>FEATURE_USER_INITIALIZE: true</c>.</param>
/// <param name="Organizations">Quay organizations (with robots, teams and quotas) to create once the first user exists.</param>
/// <param name="Labels">Free labels for your own bookkeeping (team, cost center); put on the QuayRegistry too.</param>
/// <param name="Ticket">The ticket the request belongs to, passed on to webhooks (Jira, ServiceNow).</param>
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
/// <param name="Username">The Quay user name; Quay's rules apply (lowercase letters, digits, <c>_</c>, <c>.</c> and <c>-</c>; 2 to 255 characters).</param>
/// <param name="Email">The user's e-mail address.</param>
/// <param name="Password">The user's password: at least 8 characters, as Quay requires. Stored encrypted, never returned.</param>
public sealed record InitialUserRequest(
    [property: Required] string Username,
    [property: Required] string Email,
    [property: Required] string Password);
