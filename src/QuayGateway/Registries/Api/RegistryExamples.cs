using System.Text.Json.Nodes;
using QuayGateway.Hosting;
using QuayGateway.Registries.Model;

namespace QuayGateway.Registries.Api;

/// <summary>
/// The examples the OpenAPI document shows for the registry answers: the Swagger example's registry
/// (<c>swagger-registry</c>, see <see cref="CreateRegistry.Example"/>) once its rollout is done.
/// </summary>
public static class RegistryExamples
{
    public static readonly Guid Id = Guid.Parse("019ae3c4-5b7d-7e21-9c3f-2a8d4e6f1b09");
    private static readonly DateTimeOffset Created = new(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Available = Created.AddMinutes(6).AddSeconds(42);
    private const string Endpoint = "https://swagger-registry-quay-quay-enterprise.apps.sandbox.example.com";

    public static readonly RegistrySpec Spec = new(
        [new("clair", false), new("horizontalpodautoscaler", false), new("mirror", false), new("monitoring", false)],
        new Dictionary<string, string> { ["config.yaml"] = RegistrySpec.Redacted },
        null,
        new InitialUserSummary("quayadmin", "quayadmin@example.com"),
        [new OrganizationSpec("testorg", "testorg@example.com")],
        new Dictionary<string, string> { ["team"] = "payments" },
        new TicketReference("jira", "OPS-123"));

    public static readonly RegistryResponse Registry = new(
        Id, "swagger-registry", "quay-enterprise", "sandbox", RegistryState.Ready, RegistryHealth.Healthy, Endpoint, "v3.18.1", 1, 1,
        [
            new("Applied", "True", "Applied", "QuayRegistry quay-enterprise/swagger-registry applied at generation 1.", Created.AddSeconds(2)),
            new("Available", "True", "HealthChecksPassing", "All components reported as healthy", Available),
            new("Bootstrapped", "True", "BootstrapDone", "Created user quayadmin and organization testorg.", Available.AddSeconds(9)),
        ],
        Spec, Created, Available.AddSeconds(9));

    public static readonly RegistryPage Page = new([Registry], null);

    public static readonly RegistryStatusResponse Status = new(
        Id, RegistryState.Ready, RegistryHealth.Healthy, [], Endpoint, "v3.18.1", null, 1, 1, Available,
        new JsonArray(
            Condition("ComponentsCreated", "True", "ComponentsCreationSuccess", "All objects created/updated successfully", Created.AddSeconds(20)),
            Condition("ComponentQuayReady", "True", "ComponentReady", "Deployment swagger-registry-quay-app healthy", Available),
            Condition("Available", "True", "HealthChecksPassing", "All components reported as healthy", Available)),
        Registry.Conditions,
        new RolloutTiming(Created, Available, (Available - Created).TotalSeconds, Created.AddMinutes(30)),
        new RegistryQuayAccess("minted", "quayadmin", ["org:admin", "repo:admin", "repo:create", "repo:read", "repo:write", "super:user", "user:admin", "user:read"],
            "granted", [], Available.AddYears(10), null, Available.AddMinutes(1), null, null, true, "quaygateway"));

    public static readonly ComponentsResponse Components = new(Id, "quay-enterprise",
    [
        new("quay", true, new OperatorCondition("ComponentQuayReady", "True", "ComponentReady", "Deployment swagger-registry-quay-app healthy"),
            [new("swagger-registry-quay-app-7c9d8f6b5-4xk2p", "1/1", "Running", 0, "6m"), new("swagger-registry-quay-app-7c9d8f6b5-9qzt7", "1/1", "Running", 0, "6m")],
            [new("swagger-registry-quay-app-upgrade", "Complete", "1/1", "6m")],
            null),
        new("postgres", true, new OperatorCondition("ComponentPostgresReady", "True", "ComponentReady", "Deployment swagger-registry-quay-database healthy"),
            [new("swagger-registry-quay-database-5f4b9c7d8-wm2lh", "1/1", "Running", 0, "6m")], [], null),
        new("horizontalpodautoscaler", false, null, [], [], null),
    ]);

    public static readonly ManifestResponse Manifest = new(
        JsonNode.Parse("""
            {"apiVersion":"quay.redhat.com/v1","kind":"QuayRegistry",
             "metadata":{"name":"swagger-registry","namespace":"quay-enterprise","labels":{"team":"payments"}},
             "spec":{"components":[{"kind":"clair","managed":false}],"configBundleSecret":"swagger-registry-config-bundle"}}
            """),
        JsonNode.Parse("""
            {"apiVersion":"quay.redhat.com/v1","kind":"QuayRegistry",
             "metadata":{"name":"swagger-registry","namespace":"quay-enterprise","uid":"6f1c2d3e-8a9b-4c5d-9e0f-1a2b3c4d5e6f",
                         "resourceVersion":"48213","generation":1,"creationTimestamp":"2026-12-01T09:30:02Z","labels":{"team":"payments"}},
             "spec":{"components":[{"kind":"clair","managed":false},{"kind":"quay","managed":true}],"configBundleSecret":"swagger-registry-config-bundle"},
             "status":{"currentVersion":"v3.18.1","registryEndpoint":"https://swagger-registry-quay-quay-enterprise.apps.sandbox.example.com",
                       "observedGeneration":1,"lastUpdated":"2026-12-01 09:36:42.000000 +0000 UTC",
                       "conditions":[{"type":"Available","status":"True","reason":"HealthChecksPassing","message":"All components reported as healthy",
                                      "lastTransitionTime":"2026-12-01T09:36:42Z","lastUpdateTime":"2026-12-01T09:36:42Z"}]}}
            """));

    public static readonly TimelinePage Timeline = new(
    [
        new(48211, Created, TimelineEntryType.StateChanged, RegistryState.Accepted, "Accepted", "Registry request accepted.", Id, "swagger-registry"),
        new(48230, Created.AddSeconds(2), TimelineEntryType.StateChanged, RegistryState.Progressing, "Applied", "QuayRegistry applied; waiting for the operator.", Id, "swagger-registry"),
        new(48377, Available, TimelineEntryType.StateChanged, RegistryState.Available, "HealthChecksPassing", "All components reported as healthy", Id, "swagger-registry"),
    ], "eyJpZCI6NDgzNzd9");

    public static readonly FleetStatusResponse Fleet = new(
        3,
        Enum.GetValues<RegistryState>().Where(s => s != RegistryState.Deleted)
            .ToDictionary(s => s.ToString(), s => s switch { RegistryState.Ready => 2, RegistryState.Blocked => 1, _ => 0 }),
        Enum.GetValues<RegistryHealth>().ToDictionary(h => h.ToString(), h => h switch { RegistryHealth.Healthy => 2, RegistryHealth.Degraded => 1, _ => 0 }),
        [
            new(Guid.Parse("019ae3d1-0a4e-7b3c-8d2f-6e5a4b3c2d1e"), "payments-registry", "payments-quay", "sandbox", RegistryState.Blocked,
                RegistryHealth.Degraded, [new("objectstorage", "ConfigInvalid", "required component `objectstorage` marked as unmanaged, but `configBundleSecret` is missing necessary fields")]),
        ]);

    private static JsonObject Condition(string type, string status, string reason, string message, DateTimeOffset at) => new()
    {
        ["type"] = type, ["status"] = status, ["reason"] = reason, ["message"] = message,
        ["lastTransitionTime"] = at.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
        ["lastUpdateTime"] = at.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>Registers the examples with the OpenAPI document.</summary>
    public static WebApplicationBuilder DocumentRegistryExamples(this WebApplicationBuilder builder) => builder
        .DocumentExample(Registry).DocumentExample(Page).DocumentExample(Status).DocumentExample(Components)
        .DocumentExample(Manifest).DocumentExample(Timeline).DocumentExample(Fleet);
}
