using System.Text.Json.Nodes;
using QuayGateway.Sandbox.Operator;
using static QuayGateway.Tests.Sandbox.Operator.OperatorHarness;

namespace QuayGateway.Tests.Sandbox.Operator;

/// <summary>The 3.6 status as the operator writes it, before any apiserver schema is applied.</summary>
public sealed class LegacyStatusShapeTests
{
    private static readonly DateTimeOffset Now = new(2021, 9, 14, 10, 52, 5, TimeSpan.Zero);

    private static RolloutView View(int phase, JobOutcome? migrations, int clairReady)
    {
        var spec = RegistrySpec.From(new JsonObject { ["spec"] = new JsonObject() });
        var workloads = Workload.For(OperatorProfile.V36).ToDictionary(w => w.Suffix, w => new WorkloadHealth(w, w.Replicas(spec), w.Replicas(spec)));
        workloads["clair-app"] = workloads["clair-app"] with { Ready = clairReady };
        workloads["clair-postgres"] = workloads["clair-postgres"] with { Ready = 0 };
        return new RolloutView(OperatorProfile.V36, "example-registry", 1, phase, migrations, workloads, spec,
            "https://example-registry-quay-quay-enterprise.apps.docs.quayteam.org",
            "https://example-registry-quay-config-editor-quay-enterprise.apps.docs.quayteam.org",
            "example-registry-quay-config-editor-credentials-btbkcg8dc9");
    }

    [Fact]
    public void During_migrations_it_matches_the_source_documents_first_status_block()
    {
        var status = StatusBuilder.Build(View(Phase.Migrating, JobOutcome.Running, clairReady: 1), previous: null, Now);

        Assert.Equal(["RolloutBlocked", "Available"], status["conditions"]!.AsArray().Select(c => Text(c!["type"])));
        Assert.Equal("example-registry-quay-config-editor-credentials-btbkcg8dc9", Text(status["configEditorCredentialsSecret"]));
        Assert.Equal("https://example-registry-quay-config-editor-quay-enterprise.apps.docs.quayteam.org", Text(status["configEditorEndpoint"]));
        var clair = status["unhealthyComponents"]!["clair"]!.AsArray().Select(e => Text(e!["message"])).Order();
        Assert.Equal(
            ["Deployment example-registry-clair-app: Deployment does not have minimum availability.",
             "Deployment example-registry-clair-postgres: Deployment does not have minimum availability."], clair);
        var entry = status["unhealthyComponents"]!["clair"]![0]!;
        Assert.Equal(("Available", "False", "MinimumReplicasUnavailable", "2021-09-14T10:52:05Z"),
            (Text(entry["type"]), Text(entry["status"]), Text(entry["reason"]), Text(entry["lastTransitionTime"])));
        Assert.Null(status["currentVersion"]);
        Assert.Null(status["registryEndpoint"]);
    }

    [Fact]
    public void When_healthy_unhealthyComponents_is_empty_and_the_version_and_endpoint_are_set()
    {
        var migrating = StatusBuilder.Build(View(Phase.Migrating, JobOutcome.Running, clairReady: 1), previous: null, Now);
        var healthyView = View(Phase.Healthy, JobOutcome.Succeeded, clairReady: 2) is var v
            ? v with { Workloads = v.Workloads.ToDictionary(w => w.Key, w => w.Value with { Ready = w.Value.Replicas }) }
            : null!;

        var status = StatusBuilder.Build(healthyView, migrating, Now.AddSeconds(41));

        Assert.Equal(["Available", "RolloutBlocked"], status["conditions"]!.AsArray().Select(c => Text(c!["type"])));
        Assert.Empty(status["unhealthyComponents"]!.AsObject());
        Assert.Equal("3.6.0", Text(status["currentVersion"]));
        Assert.Equal("https://example-registry-quay-quay-enterprise.apps.docs.quayteam.org", Text(status["registryEndpoint"]));
        var rolloutBlocked = status["conditions"]![1]!;
        Assert.Equal("2021-09-14T10:52:05Z", Text(rolloutBlocked["lastTransitionTime"]));
        Assert.Equal("2021-09-14T10:52:46Z", Text(status["conditions"]![0]!["lastTransitionTime"]));
    }
}
