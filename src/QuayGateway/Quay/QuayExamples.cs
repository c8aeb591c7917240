using QuayGateway.Hosting;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>The examples the OpenAPI document shows for the Quay answers, as Quay and the gateway write them.</summary>
public static class QuayExamples
{
    private static readonly DateTimeOffset Initialized = new(2026, 12, 1, 9, 36, 51, TimeSpan.Zero);

    public static readonly QuayUserCreated UserCreated = new(
        "quayadmin", "quayadmin@example.com", "q9Vx2LmT7rKcW4pZsN8eHbF1uJ6yQd3AoG5iE0tR", Initialized.AddYears(10));

    private static readonly QuayAvatar AdminAvatar = new("quayadmin", "b28d563a8b6bd1ef2bd4b28c6a2d1e5f", "#ff7f0e", "user");

    public static readonly QuayUserList Users = new(
        [new QuayUser("user", "quayadmin", "quayadmin", "quayadmin@example.com", true, AdminAvatar, true, false, true)], null);

    public static readonly OrganizationSpec OrganizationCreated = new("testorg", "testorg@example.com");

    public static readonly QuayOrganization Organization = new(
        "testorg", "testorg@example.com", new QuayAvatar("testorg", "3c7a1d9f0e2b4a6c8d5e7f9a1b3c5d7e", "#1f77b4", "org"), true, true,
        new Dictionary<string, QuayTeam>
        {
            ["owners"] = new("owners", "Administrators of the organization", "admin", new QuayAvatar("owners", "0a1b2c3d4e5f60718293a4b5c6d7e8f9", "#2ca02c", "team"), true, 0, 1, false),
        },
        ["owners"], false, null, 1209600, false, null, null);

    /// <summary>A supplied token: its scopes are what Quay's answers proved, its expiry unknown (Quay does not say).</summary>
    public static readonly QuayCredentialsView Credentials = new(
        "supplied", "quayadmin", ["super:user", "user:admin"], QuayCredentialsView.VerifiedLowerBound,
        ["org:admin", "repo:admin", "repo:create", "repo:read", "repo:write", "user:read"],
        null, QuayTokenScopes.ExpiryUnknownReason, Initialized.AddMinutes(12), null, null, false, null);

    public static readonly RobotCredentials Robot = new(
        "testorg+ci", "R7XK2Q9ZP4M1WJ8C3VN6T0YBL5HDF2GSA9E4UKO7IQ1RZ3XC8NV6BM0TJ5WP2LQY",
        """{"auths":{"swagger-registry-quay-quay-enterprise.apps.sandbox.example.com":{"auth":"dGVzdG9yZytjaTpSN1hLMlE5WlA0TTFXSjhDM1ZONlQwWUJMNUhERjJHU0E5RTRVS083SVExUlozWEM4TlY2Qk0wVEo1V1AyTFFZ"}}}""",
        [new PullSecretSpec("payments-ci", "quay-pull")]);

    public static readonly TeamState Team = new("developers", "member", ["testorg+ci", "alice"], true, ["alice"]);

    public static readonly QuotaState Quota = new(10L * 1024 * 1024 * 1024, "10.0 GiB", true);

    /// <summary>Registers the examples with the OpenAPI document.</summary>
    public static WebApplicationBuilder DocumentQuayExamples(this WebApplicationBuilder builder) => builder
        .DocumentExample(UserCreated).DocumentExample(Users).DocumentExample(OrganizationCreated).DocumentExample(Organization)
        .DocumentExample(Credentials).DocumentExample(Robot).DocumentExample(Team).DocumentExample(Quota);
}
