using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using static QuayGateway.Tests.Sandbox.Operator.OperatorHarness;
using static QuayGateway.Tests.Sandbox.SourceDocumentExamples;

namespace QuayGateway.Tests.Sandbox.Operator;

public sealed class CurrentProfileRolloutTests
{

    [Fact]
    public async Task Minimal_registry_gets_defaults_written_back_and_rolls_out_to_the_reconcile_example()
    {
        await using var h = new OperatorHarness();
        h.Create(Minimal);

        var registry = await h.WaitForAvailable("example-registry");

        StatusExamples.AssertMatches("reconcile_00-assert-status.yaml", registry);
        Assert.Equal(
            ["quay", "postgres", "clair", "redis", "horizontalpodautoscaler", "objectstorage", "route", "mirror", "monitoring", "tls", "clairpostgres"],
            registry["spec"]!["components"]!.AsArray().Select(c => Text(c!["kind"])));
        Assert.All(registry["spec"]!["components"]!.AsArray(), c => Assert.True(c!["managed"]!.GetValue<bool>()));
        Assert.Equal(["quay-operator/finalizer"], registry["metadata"]!["finalizers"]!.AsArray().Select(f => Text(f)));
        var bundle = Text(registry["spec"]!["configBundleSecret"])!;
        Assert.Matches("^example-registry-config-bundle-[bcdfghjklmnpqrstvwxz2456789]{5}$", bundle);
        Assert.Equal(registry["metadata"]!["uid"]!.GetValue<string>(),
            Text(h.Store.Get("secrets", Ns, bundle)!["metadata"]!["ownerReferences"]![0]!["uid"]));

        var status = registry["status"]!;
        Assert.Equal("3.16.2", Text(status["currentVersion"]));
        Assert.Equal("https://example-registry-quay-quay-enterprise.apps.sandbox.quaygateway.local", Text(status["registryEndpoint"]));
        Assert.Equal(registry["metadata"]!["generation"]!.GetValue<long>(), status["observedGeneration"]!.GetValue<long>());
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d{1,9})? \+0000 UTC$", Text(status["lastUpdated"]));
        Assert.Equal(("True", "HealthChecksPassing", "All components reporting as healthy"),
            (Text(Condition(registry, "Available")!["status"]), Text(Condition(registry, "Available")!["reason"]), Text(Condition(registry, "Available")!["message"])));
        Assert.Equal("All objects created/updated successfully", Text(Condition(registry, "RolloutBlocked")!["message"]));
        Assert.Equal("All registry components created", Text(Condition(registry, "ComponentsCreated")!["message"]));
    }

    [Fact]
    public async Task Pods_deployments_jobs_and_hpas_are_named_labelled_and_counted_like_the_real_operator()
    {
        await using var h = new OperatorHarness();
        var registry = h.Create(Minimal);
        await h.WaitForAvailable("example-registry");

        var pods = h.Pods("example-registry");
        var byComponent = pods.GroupBy(p => Text(p["metadata"]!["labels"]!["quay-component"])!).ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(
            new SortedDictionary<string, int>
            {
                ["clair-app"] = 2, ["clair-postgres"] = 1, ["postgres"] = 1, ["quay-app"] = 2, ["quay-app-upgrade"] = 1, ["quay-mirror"] = 2, ["redis"] = 1,
            },
            new SortedDictionary<string, int>(byComponent.ToDictionary(g => g.Key, g => g.Value.Count)));
        foreach (var (deployment, component) in new[] { ("quay-app", "quay-app"), ("quay-database", "postgres"), ("quay-redis", "redis"), ("clair-app", "clair-app"), ("clair-postgres", "clair-postgres"), ("quay-mirror", "quay-mirror") })
        {
            Assert.All(byComponent[component], pod =>
            {
                Assert.Matches($"^example-registry-{deployment}-[0-9a-f]{{10}}-[bcdfghjklmnpqrstvwxz2456789]{{5}}$", Text(pod["metadata"]!["name"]));
                Assert.Equal("Running", Text(pod["status"]!["phase"]));
                Assert.True(pod["status"]!["containerStatuses"]![0]!["ready"]!.GetValue<bool>());
                Assert.NotNull(pod["status"]!["containerStatuses"]![0]!["state"]!["running"]);
                Assert.Equal(registry["metadata"]!["uid"]!.GetValue<string>(), Text(pod["metadata"]!["ownerReferences"]![0]!["uid"]));
            });
            var dep = h.Store.Get("deployments", Ns, $"example-registry-{deployment}")!;
            Assert.Equal("example-registry", Text(dep["metadata"]!["labels"]!["quay-operator/quayregistry"]));
            Assert.Equal(dep["spec"]!["replicas"]!.GetValue<long>(), dep["status"]!["readyReplicas"]!.GetValue<long>());
        }

        var upgrade = byComponent["quay-app-upgrade"].Single();
        Assert.Matches("^example-registry-quay-app-upgrade-[bcdfghjklmnpqrstvwxz2456789]{5}$", Text(upgrade["metadata"]!["name"]));
        Assert.Equal(("Succeeded", "Completed"), (Text(upgrade["status"]!["phase"]), Text(upgrade["status"]!["containerStatuses"]![0]!["state"]!["terminated"]!["reason"])));
        Assert.Equal(1, h.Store.Get("jobs", Ns, "example-registry-quay-app-upgrade")!["status"]!["succeeded"]!.GetValue<long>());

        var hpas = h.Store.List("horizontalpodautoscalers", Ns).ToDictionary(x => Text(x["metadata"]!["name"])!);
        Assert.Equal(
            [("example-registry-clair-app", 2L, 10L), ("example-registry-quay-app", 2L, 20L), ("example-registry-quay-mirror", 2L, 20L)],
            hpas.Values.Select(x => (Text(x["metadata"]!["name"])!, x["spec"]!["minReplicas"]!.GetValue<long>(), x["spec"]!["maxReplicas"]!.GetValue<long>())).Order());
        Assert.All(hpas.Values, x => Assert.Equal(90, x["spec"]!["metrics"]![0]!["resource"]!["target"]!["averageUtilization"]!.GetValue<long>()));
        Assert.All(hpas.Values, x => Assert.NotNull(x["status"]!["currentMetrics"]![1]!["resource"]!["current"]!["averageUtilization"]));

        var secrets = h.Store.List("secrets", Ns).Select(s => Text(s["metadata"]!["name"])!).ToList();
        Assert.Contains("example-registry-quay-registry-managed-secret-keys", secrets);
        Assert.Single(secrets, s => s.StartsWith("example-registry-quay-config-secret-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Status_progresses_through_the_phases_in_order_and_emits_events()
    {
        await using var h = new OperatorHarness();
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
        await h.WaitForAvailable("example-registry");

        List<JsonObject> history;
        lock (seen)
        {
            history = [.. seen];
        }

        int First(Func<JsonObject, bool> predicate) => history.FindIndex(r => predicate(r));
        var created = First(r => Text(Condition(r, "RolloutBlocked")?["reason"]) == "ComponentsCreationSuccess");
        var migrating = First(r => Text(Condition(r, "ComponentsCreated")?["reason"]) == "MigrationsInProgress");
        var endpoint = First(r => r["status"]?["registryEndpoint"] is not null);
        var migrated = First(r => Text(Condition(r, "ComponentsCreated")?["reason"]) == "ComponentsCreationSuccess");
        var version = First(r => r["status"]?["currentVersion"] is not null);
        var available = First(r => Text(Condition(r, "Available")?["status"]) == "True");
        var observed = First(r => r["status"]?["observedGeneration"] is not null);
        Assert.True(created >= 0 && created < migrating && migrating <= endpoint && endpoint < migrated && migrated <= version && version < available,
            $"created {created}, migrating {migrating}, endpoint {endpoint}, migrated {migrated}, version {version}, available {available}");
        Assert.Equal(available, observed);
        Assert.Contains(history.Take(available), r => Text(Condition(r, "Available")?["reason"]) == "ComponentNotReady");

        var events = h.Store.List("events", Ns);
        Assert.Contains(events, e => Text(e["reason"]) == "ComponentsCreationSuccess" && Text(e["type"]) == "Normal"
            && Text(e["involvedObject"]!["kind"]) == "QuayRegistry" && Text(e["involvedObject"]!["name"]) == "example-registry");
        Assert.Contains(events, e => Text(e["reason"]) == "HealthChecksPassing");
    }

    [Fact]
    public async Task Pods_start_in_ContainerCreating_before_they_run()
    {
        await using var h = new OperatorHarness(phaseDelayMs: 150);
        var states = new HashSet<string>();
        using var watch = h.Store.Subscribe(e =>
        {
            if (e.Resource == "pods" && e.Object["status"]?["containerStatuses"]?[0]?["state"]?["waiting"]?["reason"] is { } reason)
            {
                lock (states)
                {
                    states.Add(reason.GetValue<string>());
                }
            }
        });
        h.Create(Minimal);
        await h.WaitForAvailable("example-registry");

        Assert.Contains("ContainerCreating", states);
    }

    [Fact]
    public async Task Unmanaged_clair_hpa_mirror_and_monitoring_create_no_clair_or_mirror_objects_and_no_hpas()
    {
        await using var h = new OperatorHarness();
        h.Create(SomeUnmanaged);

        var registry = await h.WaitForAvailable("example-registry");

        StatusExamples.AssertMatches("hpa_01-assert.yaml", registry);
        Assert.Equal(("True", "ComponentNotManaged", "Clair not managed by the operator"),
            (Text(Condition(registry, "ComponentClairReady")!["status"]), Text(Condition(registry, "ComponentClairReady")!["reason"]), Text(Condition(registry, "ComponentClairReady")!["message"])));
        Assert.Equal("Monitoring not managed by the operator", Text(Condition(registry, "ComponentMonitoringReady")!["message"]));
        Assert.Empty(h.Store.List("horizontalpodautoscalers", Ns));
        var deployments = h.Store.List("deployments", Ns).Select(d => Text(d["metadata"]!["name"])).Order().ToList();
        Assert.Equal(["example-registry-quay-app", "example-registry-quay-database", "example-registry-quay-redis"], deployments);
        var pods = h.Pods("example-registry");
        Assert.DoesNotContain(pods, p => Text(p["metadata"]!["name"])!.Contains("clair", StringComparison.Ordinal) || Text(p["metadata"]!["name"])!.Contains("mirror", StringComparison.Ordinal));
        Assert.Single(pods, p => Text(p["metadata"]!["labels"]!["quay-component"]) == "quay-app");
    }

    [Fact]
    public async Task The_ca_rotation_spec_matches_its_example_with_reasons()
    {
        await using var h = new OperatorHarness();
        var example = StatusExamples.Load("ca_rotation_00-assert.yaml");
        var registry = new JsonObject
        {
            ["apiVersion"] = "quay.redhat.com/v1",
            ["kind"] = "QuayRegistry",
            ["metadata"] = new JsonObject { ["name"] = "ca-rotation", ["namespace"] = Ns },
            ["spec"] = example["spec"]!.DeepClone(),
        };
        h.Store.Create("quayregistries", Ns, registry);

        var done = await h.WaitForAvailable("ca-rotation");

        StatusExamples.AssertMatches("ca_rotation_00-assert.yaml", done);
        Assert.Equal(example["spec"]!["components"]!.AsArray().Count, done["spec"]!["components"]!.AsArray().Count);
        Assert.DoesNotContain(h.Store.List("deployments", Ns), d => Text(d["metadata"]!["name"])!.Contains("clair", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_given_bundle_is_used_and_its_quay_api_answers_with_its_config()
    {
        await using var h = new OperatorHarness();
        h.CreateBundle("init-config-bundle-secret", "FEATURE_USER_INITIALIZE: true\nSUPER_USERS:\n- quayadmin\n");
        h.Create(WithConfigBundle);

        var registry = await h.WaitForAvailable("example-registry");

        Assert.Equal("init-config-bundle-secret", Text(registry["spec"]!["configBundleSecret"]));
        var host = new Uri(Text(registry["status"]!["registryEndpoint"])!).Host;
        Assert.True(h.Quay.Api.Serves(host));
        var reply = await Send(h, host, "POST", "/api/v1/user/initialize",
            """{"username":"quayadmin","password":"quaypass123","email":"quayadmin@example.com","access_token":true}""");
        Assert.Equal(200, reply.Status);
    }

    [Fact]
    public async Task SERVER_HOSTNAME_sets_the_endpoint_and_the_quay_api_host()
    {
        await using var h = new OperatorHarness();
        h.CreateBundle("bundle", "SERVER_HOSTNAME: registry.example.com\n");
        h.Create("""
            apiVersion: quay.redhat.com/v1
            kind: QuayRegistry
            metadata:
              name: example-registry
            spec:
              configBundleSecret: bundle
            """);

        var registry = await h.WaitForAvailable("example-registry");

        Assert.Equal("https://registry.example.com", Text(registry["status"]!["registryEndpoint"]));
        Assert.True(h.Quay.Api.Serves("registry.example.com:443"));
        var reply = await Send(h, "registry.example.com", "POST", "/api/v1/user/initialize", """{"username":"quayadmin","password":"quaypass123"}""");
        Assert.Equal(404, reply.Status);
    }

    [Fact]
    public async Task A_spec_change_rolls_out_again_and_observedGeneration_lags_until_done()
    {
        await using var h = new OperatorHarness(phaseDelayMs: 100);
        h.Create(Minimal);
        var first = await h.WaitForAvailable("example-registry");
        var firstGeneration = first["metadata"]!["generation"]!.GetValue<long>();
        var oldMirrorPods = h.Pods("example-registry").Where(p => Text(p["metadata"]!["labels"]!["quay-component"]) == "quay-mirror").Select(p => Text(p["metadata"]!["name"])).ToList();

        var changed = (JsonObject)first.DeepClone();
        changed["spec"]!["components"]!.AsArray().Single(c => Text(c!["kind"]) == "mirror")!["overrides"] = new JsonObject
        {
            ["env"] = new JsonArray(new JsonObject { ["name"] = "DEBUGLOG", ["value"] = "true" }),
        };
        changed["metadata"]!.AsObject().Remove("resourceVersion");
        var updated = h.Store.Update("quayregistries", Ns, changed);
        var generation = updated["metadata"]!["generation"]!.GetValue<long>();
        Assert.True(generation > firstGeneration);
        Assert.Equal(firstGeneration, h.Registry("example-registry")["status"]!["observedGeneration"]!.GetValue<long>());

        var done = await h.WaitFor("example-registry", r => r["status"]?["observedGeneration"]?.GetValue<long>() == generation);

        Assert.Equal("True", Text(Condition(done, "Available")!["status"]));
        var newMirrorPods = h.Pods("example-registry").Where(p => Text(p["metadata"]!["labels"]!["quay-component"]) == "quay-mirror").Select(p => Text(p["metadata"]!["name"])).ToList();
        Assert.Equal(2, newMirrorPods.Count);
        Assert.Empty(newMirrorPods.Intersect(oldMirrorPods));
    }

    [Fact]
    public async Task Deleting_the_registry_removes_the_finalizer_its_objects_and_its_quay_api()
    {
        await using var h = new OperatorHarness();
        h.Create(Minimal);
        var registry = await h.WaitForAvailable("example-registry");
        var host = new Uri(Text(registry["status"]!["registryEndpoint"])!).Host;
        Assert.True(h.Quay.Api.Serves(host));

        h.Store.Delete("quayregistries", Ns, "example-registry");
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (h.Store.Get("quayregistries", Ns, "example-registry") is not null && DateTime.UtcNow < deadline)
        {
            await Task.Delay(10);
        }

        Assert.Null(h.Store.Get("quayregistries", Ns, "example-registry"));
        foreach (var resource in new[] { "pods", "deployments", "jobs", "horizontalpodautoscalers", "secrets" })
        {
            Assert.Empty(h.Store.List(resource, Ns));
        }

        Assert.False(h.Quay.Api.Serves(host));
    }

    internal static async Task<(int Status, string Body)> Send(OperatorHarness h, string host, string method, string path, string? body = null)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = method;
        context.Request.Host = new HostString(host);
        context.Request.Path = path;
        if (body is not null)
        {
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body));
        }

        var response = new MemoryStream();
        context.Response.Body = response;
        await h.Quay.Api.HandleAsync(context);
        return (context.Response.StatusCode, Encoding.UTF8.GetString(response.ToArray()));
    }
}
