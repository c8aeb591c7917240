using System.Text.Json.Nodes;
using QuayGateway.Sandbox.Faults;
using static QuayGateway.Tests.Sandbox.Operator.OperatorHarness;
using static QuayGateway.Tests.Sandbox.SourceDocumentExamples;

namespace QuayGateway.Tests.Sandbox.Operator;

public sealed class FaultTests
{

    private static IEnumerable<JsonObject> QuayAppPods(OperatorHarness h) =>
        h.Pods("example-registry").Where(p => Text(p["metadata"]!["labels"]!["quay-component"]) == "quay-app");

    private static JsonNode Container(JsonObject pod) => pod["status"]!["containerStatuses"]![0]!;

    [Fact]
    public async Task A_crash_looping_component_turns_available_false_with_climbing_restarts_and_recovers_when_cleared()
    {
        await using var h = new OperatorHarness();
        h.Create(Minimal);
        await h.WaitForAvailable("example-registry");

        h.Quay.OperatorFaults.AddCrashLoop(new CrashLoopFault("quay"));
        var degraded = await h.WaitFor("example-registry", r => Text(Condition(r, "Available")?["status"]) == "False");
        await h.WaitFor("example-registry", _ => QuayAppPods(h).All(p => Container(p)["restartCount"]!.GetValue<long>() >= 2));

        Assert.Equal(("False", "ComponentNotReady", "Deployment example-registry-quay-app has zero replicas available"),
            (Text(Condition(degraded, "ComponentQuayReady")!["status"]), Text(Condition(degraded, "ComponentQuayReady")!["reason"]), Text(Condition(degraded, "ComponentQuayReady")!["message"])));
        Assert.Equal("Some components are not ready", Text(Condition(degraded, "Available")!["message"]));
        Assert.Equal("Awaiting for component quay to become available", Text(Condition(h.Registry("example-registry"), "ComponentMirrorReady")!["message"]));
        Assert.All(QuayAppPods(h), pod =>
        {
            Assert.Equal("CrashLoopBackOff", Text(Container(pod)["state"]!["waiting"]!["reason"]));
            Assert.False(Container(pod)["ready"]!.GetValue<bool>());
            Assert.True(Container(pod)["restartCount"]!.GetValue<long>() >= 2);
        });
        Assert.Equal(0, h.Store.Get("deployments", Ns, "example-registry-quay-app")!["status"]!["readyReplicas"]!.GetValue<long>());

        h.Quay.OperatorFaults.Clear();
        await h.WaitFor("example-registry", r => Text(Condition(r, "Available")?["status"]) == "True");
        Assert.All(QuayAppPods(h), pod =>
        {
            Assert.True(Container(pod)["ready"]!.GetValue<bool>());
            Assert.True(Container(pod)["restartCount"]!.GetValue<long>() >= 2);
        });
        Assert.Contains(h.Store.List("events", Ns), e => Text(e["reason"]) == "ComponentNotReady" && Text(e["type"]) == "Warning");
    }

    [Fact]
    public async Task A_crash_loop_in_the_3_6_profile_turns_available_false_until_cleared()
    {
        await using var h = new OperatorHarness("3.6");
        h.Create(Minimal);
        await h.WaitForAvailable("example-registry");

        h.Quay.OperatorFaults.AddCrashLoop(new CrashLoopFault("quay-mirror", Namespace: Ns, Registry: "example-registry"));
        var degraded = await h.WaitFor("example-registry", r => Text(Condition(r, "Available")?["status"]) == "False");

        Assert.Equal("ComponentNotReady", Text(Condition(degraded, "Available")!["reason"]));
        Assert.Equal(["Available", "RolloutBlocked"], degraded["status"]!["conditions"]!.AsArray().Select(c => Text(c!["type"])));
        h.Quay.OperatorFaults.Clear();
        await h.WaitFor("example-registry", r => Text(Condition(r, "Available")?["reason"]) == "HealthChecksPassing");
    }

    [Fact]
    public async Task Faults_for_another_registry_leave_this_one_alone()
    {
        await using var h = new OperatorHarness();
        h.Quay.OperatorFaults.AddCrashLoop(new CrashLoopFault("quay", Registry: "someone-else"));
        h.Quay.OperatorFaults.AddFailedMigrations(new FailedMigrationsFault(Namespace: "elsewhere"));
        h.Create(Minimal);

        var done = await h.WaitForAvailable("example-registry");

        Assert.Equal("ComponentsCreationSuccess", Text(Condition(done, "ComponentsCreated")!["reason"]));
    }

    [Fact]
    public async Task Failed_migrations_fail_the_job_until_cleared()
    {
        await using var h = new OperatorHarness();
        h.Quay.OperatorFaults.AddFailedMigrations(new FailedMigrationsFault());
        h.Create(Minimal);

        var failed = await h.WaitFor("example-registry", r => Text(Condition(r, "ComponentsCreated")?["reason"]) == "MigrationsFailed");

        Assert.Equal(("False", "Job has reached the specified backoff limit"),
            (Text(Condition(failed, "ComponentsCreated")!["status"]), Text(Condition(failed, "ComponentsCreated")!["message"])));
        Assert.Equal("False", Text(Condition(failed, "Available")!["status"]));
        Assert.Null(failed["status"]!["currentVersion"]);
        var job = h.Store.Get("jobs", Ns, "example-registry-quay-app-upgrade")!;
        Assert.Equal(1, job["status"]!["failed"]!.GetValue<long>());
        Assert.Equal("BackoffLimitExceeded", Text(job["status"]!["conditions"]![0]!["reason"]));
        var pod = Assert.Single(h.Pods("example-registry"), p => Text(p["metadata"]!["labels"]!["quay-component"]) == "quay-app-upgrade");
        Assert.Equal("Failed", Text(pod["status"]!["phase"]));

        h.Quay.OperatorFaults.Clear();
        var done = await h.WaitForAvailable("example-registry");
        Assert.Equal("ComponentsCreationSuccess", Text(Condition(done, "ComponentsCreated")!["reason"]));
        Assert.Equal(1, h.Store.Get("jobs", Ns, "example-registry-quay-app-upgrade")!["status"]!["succeeded"]!.GetValue<long>());
    }
}
