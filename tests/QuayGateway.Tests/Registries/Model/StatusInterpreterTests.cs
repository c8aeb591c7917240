using System.Text.Json.Nodes;
using k8s.Models;
using QuayGateway.Clusters;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Sandbox.Operator;

namespace QuayGateway.Tests.Registries.Model;

public sealed class StatusInterpreterTests
{
    private static QuayRegistryResource Registry(string statusJson, long generation = 1) => new()
    {
        Metadata = new V1ObjectMeta { Name = "example-registry", NamespaceProperty = "quay-enterprise", Generation = generation },
        Status = JsonNode.Parse(statusJson)!.AsObject(),
    };

    private static string Condition(string type, string status, string? reason = null, string? message = null) =>
        $$"""{"type":"{{type}}","status":"{{status}}","reason":"{{reason ?? type}}","message":"{{message ?? ""}}"}""";

    [Theory]
    [InlineData("ca_rotation_00-assert.yaml")]
    [InlineData("external_tls_00-assert-status.yaml")]
    [InlineData("hpa_01-assert.yaml")]
    [InlineData("reconcile_00-assert-status.yaml")]
    [InlineData("unmanaged_clair_00-assert-status.yaml")]
    [InlineData("unmanaged_route_tls_00-assert-status.yaml")]
    public void The_operators_own_finished_rollouts_read_as_available(string example)
    {
        var status = StatusExamples.Load(example)["status"]!.AsObject();
        status["observedGeneration"] = 1;
        var view = StatusInterpreter.Interpret(Registry(status.ToJsonString()), RegistryState.Progressing);

        Assert.Equal(RegistryState.Available, view.State);
        Assert.Equal(RegistryHealth.Healthy, view.Health);
        Assert.Empty(view.Causes);
    }

    [Fact]
    public void Migrations_in_progress_is_progressing_even_if_available_says_true()
    {
        var view = StatusInterpreter.Interpret(Registry($$"""
            {"observedGeneration":1,"registryEndpoint":"https://example-registry-quay-quay-enterprise.apps.example.com","conditions":[
              {{Condition("Available", "True", "HealthChecksPassing")}},
              {{Condition("ComponentsCreated", "False", "MigrationsInProgress", "running database migrations")}},
              {{Condition("RolloutBlocked", "False", "ComponentsCreationSuccess")}}]}
            """), RegistryState.Progressing);

        Assert.Equal(RegistryState.Progressing, view.State);
        Assert.Equal("MigrationsInProgress", view.Reason);
        Assert.Equal("https://example-registry-quay-quay-enterprise.apps.example.com", view.RegistryEndpoint);
    }

    [Fact]
    public void A_stale_available_for_an_older_generation_is_not_available()
    {
        var view = StatusInterpreter.Interpret(Registry($$"""
            {"observedGeneration":1,"currentVersion":"3.16.2","conditions":[
              {{Condition("Available", "True", "HealthChecksPassing")}},{{Condition("ComponentsCreated", "True", "ComponentsCreationSuccess")}},
              {{Condition("RolloutBlocked", "False", "ComponentsCreationSuccess")}}]}
            """, generation: 2), RegistryState.Ready);

        Assert.Equal(RegistryState.Progressing, view.State);
        Assert.Equal("WaitingForOperator", view.Reason);
    }

    [Fact]
    public void Rollout_blocked_carries_the_operators_reason_and_message_even_while_old_pods_serve()
    {
        var view = StatusInterpreter.Interpret(Registry($$"""
            {"observedGeneration":2,"conditions":[
              {{Condition("Available", "True", "HealthChecksPassing")}},
              {{Condition("RolloutBlocked", "True", "ComponentOverrideInvalid", "invalid overrides: cannot override replicas with managed HPA")}}]}
            """, generation: 2), RegistryState.Ready);

        Assert.Equal(RegistryState.Blocked, view.State);
        Assert.Equal("ComponentOverrideInvalid", view.Reason);
        Assert.Equal("invalid overrides: cannot override replicas with managed HPA", view.Message);
    }

    [Fact]
    public void Failed_migrations_block_the_rollout()
    {
        var view = StatusInterpreter.Interpret(Registry($$"""
            {"observedGeneration":1,"conditions":[{{Condition("ComponentsCreated", "False", "MigrationsFailed", "failed to run migrations")}},
              {{Condition("RolloutBlocked", "False", "ComponentsCreationSuccess")}}]}
            """), RegistryState.Progressing);

        Assert.Equal(RegistryState.Blocked, view.State);
        Assert.Equal("MigrationsFailed", view.Reason);
    }

    [Fact]
    public void A_registry_that_loses_available_is_degraded_and_names_the_component()
    {
        var view = StatusInterpreter.Interpret(Registry($$"""
            {"observedGeneration":1,"currentVersion":"3.16.2","conditions":[
              {{Condition("ComponentClairReady", "False", "ComponentNotReady", "Deployment example-registry-clair-app has zero replicas available")}},
              {{Condition("ComponentHPAReady", "True", "ComponentReady")}},
              {{Condition("Available", "False", "ComponentNotReady", "Some components are not ready")}},
              {{Condition("ComponentsCreated", "True", "ComponentsCreationSuccess")}},{{Condition("RolloutBlocked", "False", "ComponentsCreationSuccess")}}]}
            """), RegistryState.Ready);

        Assert.Equal(RegistryState.Degraded, view.State);
        Assert.Equal(RegistryHealth.Degraded, view.Health);
        var cause = Assert.Single(view.Causes);
        Assert.Equal(new HealthCause("clair", "ComponentNotReady", "Deployment example-registry-clair-app has zero replicas available"), cause);
    }

    [Fact]
    public void The_same_status_before_ever_being_available_is_progressing() =>
        Assert.Equal(RegistryState.Progressing, StatusInterpreter.Interpret(Registry($$"""
            {"observedGeneration":1,"conditions":[{{Condition("Available", "False", "ComponentNotReady")}},
              {{Condition("ComponentsCreated", "True", "ComponentsCreationSuccess")}}]}
            """), RegistryState.Progressing).State);

    // The source document's 3.6 status blocks (section 4.1.4).
    private const string LegacyInProgress = """
        {"conditions":[
          {"lastTransitionTime":"2021-09-14T10:52:04Z","lastUpdateTime":"2021-09-14T10:52:04Z","message":"all objects created/updated successfully","reason":"ComponentsCreationSuccess","status":"False","type":"RolloutBlocked"},
          {"lastTransitionTime":"2021-09-14T10:52:05Z","lastUpdateTime":"2021-09-14T10:52:05Z","message":"running database migrations","reason":"MigrationsInProgress","status":"False","type":"Available"}],
         "configEditorCredentialsSecret":"example-registry-quay-config-editor-credentials-btbkcg8dc9",
         "configEditorEndpoint":"https://example-registry-quay-config-editor-quay-enterprise.apps.docs.quayteam.org",
         "lastUpdated":"2021-09-14 10:52:05.371425635 +0000 UTC",
         "unhealthyComponents":{
           "clair":[{"lastTransitionTime":"2021-09-14T10:51:32Z","lastUpdateTime":"2021-09-14T10:51:32Z","message":"Deployment example-registry-clair-postgres: Deployment does not have minimum availability.","reason":"MinimumReplicasUnavailable","status":"False","type":"Available"},
                    {"lastTransitionTime":"2021-09-14T10:51:32Z","lastUpdateTime":"2021-09-14T10:51:32Z","message":"Deployment example-registry-clair-app: Deployment does not have minimum availability.","reason":"MinimumReplicasUnavailable","status":"False","type":"Available"}],
           "mirror":[{"lastTransitionTime":"2021-09-14T10:51:32Z","lastUpdateTime":"2021-09-14T10:51:32Z","message":"Deployment example-registry-quay-mirror: Deployment does not have minimum availability.","reason":"MinimumReplicasUnavailable","status":"False","type":"Available"}]}}
        """;

    private const string LegacyDone = """
        {"conditions":[
          {"lastTransitionTime":"2021-09-14T10:52:36Z","lastUpdateTime":"2021-09-14T10:52:36Z","message":"all registry component healthchecks passing","reason":"HealthChecksPassing","status":"True","type":"Available"},
          {"lastTransitionTime":"2021-09-14T10:52:46Z","lastUpdateTime":"2021-09-14T10:52:46Z","message":"all objects created/updated successfully","reason":"ComponentsCreationSuccess","status":"False","type":"RolloutBlocked"}],
         "configEditorCredentialsSecret":"example-registry-quay-config-editor-credentials-hg7gg7h57m",
         "configEditorEndpoint":"https://example-registry-quay-config-editor-quay-enterprise.apps.docs.quayteam.org",
         "currentVersion":"3.6.0","lastUpdated":"2021-09-14 10:52:46.104181633 +0000 UTC",
         "registryEndpoint":"https://example-registry-quay-quay-enterprise.apps.docs.quayteam.org","unhealthyComponents":{}}
        """;

    [Fact]
    public void The_source_documents_in_progress_block_is_progressing_with_its_unhealthy_components_copied()
    {
        var view = StatusInterpreter.Interpret(Registry(LegacyInProgress, generation: 3), RegistryState.Progressing);

        Assert.Equal(RegistryState.Progressing, view.State);
        Assert.Equal("MigrationsInProgress", view.Reason);
        Assert.Null(view.ObservedGeneration);
        Assert.Equal(["clair", "clair", "mirror"], view.Causes.Select(c => c.Component));
        Assert.All(view.Causes, c => Assert.Equal("MinimumReplicasUnavailable", c.Reason));
        Assert.Equal("https://example-registry-quay-config-editor-quay-enterprise.apps.docs.quayteam.org", view.ConfigEditorEndpoint);
    }

    [Fact]
    public void The_source_documents_final_block_is_available_without_observed_generation()
    {
        var view = StatusInterpreter.Interpret(Registry(LegacyDone, generation: 3), RegistryState.Progressing);

        Assert.Equal(RegistryState.Available, view.State);
        Assert.Equal("all registry component healthchecks passing", view.Message);
        Assert.Equal("3.6.0", view.CurrentVersion);
        Assert.Empty(view.Causes);
    }

    [Fact]
    public void A_3_6_available_before_migrations_finished_is_not_available() =>
        Assert.Equal(RegistryState.Progressing, StatusInterpreter.Interpret(Registry("""
            {"conditions":[{"type":"Available","status":"True","reason":"HealthChecksPassing","message":"x"}]}
            """), RegistryState.Progressing).State);

    [Theory]
    [InlineData("ComponentClairPostgresReady", "clairpostgres")]
    [InlineData("ComponentHPAReady", "horizontalpodautoscaler")]
    [InlineData("ComponentObjectStorageReady", "objectstorage")]
    [InlineData("ComponentTLSReady", "tls")]
    [InlineData("ComponentQuayReady", "quay")]
    public void Component_conditions_map_to_component_kinds(string type, string kind) =>
        Assert.Equal(kind, StatusInterpreter.ComponentOf(type));
}
