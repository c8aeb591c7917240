using System.Text.Json.Nodes;
using static QuayGateway.Tests.Sandbox.Operator.OperatorHarness;
using static QuayGateway.Tests.Sandbox.SourceDocumentExamples;

namespace QuayGateway.Tests.Sandbox.Operator;

/// <summary>The 3.6 profile against the source document (seed-deploy-quay-with-operator.zh.txt).</summary>
public sealed class LegacyProfileRolloutTests
{

    private static List<string> Types(JsonObject registry) =>
        registry["status"]!["conditions"]!.AsArray().Select(c => Text(c!["type"])!).ToList();

    [Fact]
    public async Task Rollout_matches_the_source_documents_status_blocks()
    {
        await using var h = new OperatorHarness("3.6", phaseDelayMs: 80);
        var seen = new List<JsonObject>();
        using var watch = h.Store.Subscribe(e =>
        {
            if (e.Resource == "quayregistries")
            {
                lock (seen)
                {
                    seen.Add(e.Object);
                }
            }
        });
        h.Create(Minimal);

        var done = await h.WaitForAvailable("example-registry");

        JsonObject migrating;
        lock (seen)
        {
            migrating = seen.First(r => Text(Condition(r, "Available")?["reason"]) == "MigrationsInProgress");
        }

        Assert.Equal(["RolloutBlocked", "Available"], Types(migrating));
        Assert.Equal(("False", "ComponentsCreationSuccess", "all objects created/updated successfully"),
            (Text(Condition(migrating, "RolloutBlocked")!["status"]), Text(Condition(migrating, "RolloutBlocked")!["reason"]), Text(Condition(migrating, "RolloutBlocked")!["message"])));
        Assert.Equal(("False", "running database migrations"), (Text(Condition(migrating, "Available")!["status"]), Text(Condition(migrating, "Available")!["message"])));
        Assert.Null(migrating["status"]!["currentVersion"]);
        Assert.Null(migrating["status"]!["registryEndpoint"]);

        Assert.Equal(["Available", "RolloutBlocked"], Types(done));
        Assert.Equal(("True", "HealthChecksPassing", "all registry component healthchecks passing"),
            (Text(Condition(done, "Available")!["status"]), Text(Condition(done, "Available")!["reason"]), Text(Condition(done, "Available")!["message"])));
        var status = done["status"]!.AsObject();
        Assert.Equal("3.6.0", Text(status["currentVersion"]));
        Assert.Equal("https://example-registry-quay-quay-enterprise.apps.sandbox.quaygateway.local", Text(status["registryEndpoint"]));
        Assert.Null(status["observedGeneration"]);
        Assert.DoesNotContain(Types(done), t => t.StartsWith("Component", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_3_6_status_keeps_unhealthyComponents_and_the_config_editor_fields()
    {
        await using var h = new OperatorHarness("3.6");
        h.Create(Minimal);

        var done = await h.WaitForAvailable("example-registry");

        var status = done["status"]!.AsObject();
        Assert.Empty(status["unhealthyComponents"]!.AsObject());
        Assert.Equal("https://example-registry-quay-config-editor-quay-enterprise.apps.sandbox.quaygateway.local", Text(status["configEditorEndpoint"]));
        Assert.NotNull(h.Store.Get("secrets", Ns, Text(status["configEditorCredentialsSecret"])!));
    }

    [Fact]
    public async Task Spec_is_filled_with_the_nine_kinds_of_3_6_and_the_pods_match_oc_get_pods()
    {
        await using var h = new OperatorHarness("3.6");
        h.Create(Minimal);

        var done = await h.WaitForAvailable("example-registry");

        Assert.Equal(["postgres", "clair", "redis", "horizontalpodautoscaler", "objectstorage", "route", "mirror", "monitoring", "tls"],
            done["spec"]!["components"]!.AsArray().Select(c => Text(c!["kind"])));
        var pods = h.Pods("example-registry").Select(p => (Name: Text(p["metadata"]!["name"])!, Phase: Text(p["status"]!["phase"])!)).ToList();
        var hashed = new[] { "clair-app", "clair-app", "clair-postgres", "quay-app", "quay-app", "quay-config-editor", "quay-database", "quay-mirror", "quay-mirror", "quay-redis" };
        Assert.Equal(hashed, pods.Where(p => p.Phase == "Running").Select(p => System.Text.RegularExpressions.Regex.Match(p.Name, "^example-registry-(.+)-[0-9a-f]{10}-[a-z0-9]{5}$").Groups[1].Value).Order());
        Assert.Equal(["quay-app-upgrade", "quay-postgres-init"],
            pods.Where(p => p.Phase == "Succeeded").Select(p => System.Text.RegularExpressions.Regex.Match(p.Name, "^example-registry-(.+)-[a-z0-9]{5}$").Groups[1].Value).Order());
        Assert.Equal(12, pods.Count);
    }
}
