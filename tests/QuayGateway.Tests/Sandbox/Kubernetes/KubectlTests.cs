using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using QuayGateway.Sandbox.Kubernetes;
using static QuayGateway.Tests.Sandbox.SourceDocumentExamples;

namespace QuayGateway.Tests.Sandbox.Kubernetes;

/// <summary>The machine's kubectl against the sandbox: the commands of the source document, and kubectl's printing.</summary>
[Collection(SandboxCollection.Name)]
public sealed partial class KubectlTests(SandboxFixture sandbox)
{



    [GeneratedRegex(@"\s{2,}")]
    private static partial Regex Columns();

    private static string[][] Table(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => Columns().Split(line.Trim())).ToArray();

    private async Task<string> OkWithInput(string stdin, params string[] args)
    {
        var result = await sandbox.KubectlWithInputAsync(stdin, args);
        Assert.True(result.ExitCode == 0, $"kubectl {string.Join(' ', args)} failed: {result}");
        return result.Stdout;
    }

    private Task<string> Ok(params string[] args) => OkWithInput("", args);

    [Fact]
    public async Task The_source_document_examples_are_created_and_deleted_with_kubectl()
    {
        if (sandbox.Cluster.Store.Get("namespaces", null, "quay-enterprise") is null)
            Assert.Equal("namespace/quay-enterprise created", (await Ok("create", "namespace", "quay-enterprise")).Trim());
        Assert.Equal("secret/init-config-bundle-secret created",
            (await Ok("create", "secret", "generic", "init-config-bundle-secret", "-n", "quay-enterprise", "--from-literal=config.yaml=FEATURE_USER_INITIALIZE: true")).Trim());

        foreach (var (manifest, check) in new (string, Action<JsonObject>)[]
        {
            (Minimal, r => Assert.Equal(new JsonObject(), r["spec"] ?? new JsonObject(), JsonNode.DeepEquals)),
            (SomeUnmanaged, r => Assert.Equal(["clair", "horizontalpodautoscaler", "mirror", "monitoring"],
                r["spec"]!["components"]!.AsArray().Select(c => c!["kind"]!.GetValue<string>()))),
            (WithConfigBundle, r => Assert.Equal("init-config-bundle-secret", r["spec"]!["configBundleSecret"]!.GetValue<string>())),
        })
        {
            Assert.Equal("quayregistry.quay.redhat.com/example-registry created", (await OkWithInput(manifest, "create", "-f", "-")).Trim());
            check(sandbox.Cluster.Store.Get("quayregistries", "quay-enterprise", "example-registry")!);
            Assert.Equal("quayregistry.quay.redhat.com \"example-registry\" deleted", (await OkWithInput(manifest, "delete", "-f", "-")).Trim());
            Assert.Null(sandbox.Cluster.Store.Get("quayregistries", "quay-enterprise", "example-registry"));
        }
    }

    [Fact]
    public async Task Discovery_lists_every_resource_with_its_short_names_and_the_server_version()
    {
        var resources = Table(await Ok("api-resources", "--no-headers")).ToDictionary(r => r[0], r => string.Join(" ", r[1..]));
        Assert.Equal("po v1 true Pod", resources["pods"]);
        Assert.Equal("ns v1 false Namespace", resources["namespaces"]);
        Assert.Equal("v1 true Secret", resources["secrets"]);
        Assert.Equal("ev v1 true Event", resources["events"]);
        Assert.Equal("deploy apps/v1 true Deployment", resources["deployments"]);
        Assert.Equal("batch/v1 true Job", resources["jobs"]);
        Assert.Equal("hpa autoscaling/v2 true HorizontalPodAutoscaler", resources["horizontalpodautoscalers"]);
        Assert.Equal("quay.redhat.com/v1 true QuayRegistry", resources["quayregistries"]);
        Assert.Contains("Server Version: v1.32.0", await Ok("version"));
    }

    [Fact]
    public async Task Get_prints_the_registry_endpoint_the_yaml_and_the_CRD_columns()
    {
        var ns = sandbox.NewNamespace("kc");
        var store = sandbox.Cluster.Store;
        var registry = store.Create("quayregistries", ns, KubernetesApiTests.Registry("example-registry"));
        registry["status"] = JsonNode.Parse("""
            {"currentVersion":"3.16.2","registryEndpoint":"https://example-registry-quay-quay-enterprise.apps.sandbox.quaygateway.local",
             "conditions":[{"type":"Available","status":"True","reason":"HealthChecksPassing","message":"All components reporting as healthy"}]}
            """);
        store.UpdateStatus("quayregistries", ns, registry);

        Assert.Equal("https://example-registry-quay-quay-enterprise.apps.sandbox.quaygateway.local",
            await Ok("get", "quayregistry", "-n", ns, "example-registry", "-o", "jsonpath={.status.registryEndpoint}"));

        var yaml = await Ok("get", "quayregistry", "-n", ns, "-o", "yaml");
        Assert.Contains("kind: List", yaml);
        Assert.Contains("kind: QuayRegistry", yaml);
        Assert.Contains("currentVersion: 3.16.2", yaml);
        Assert.Contains("reason: HealthChecksPassing", yaml);

        var table = Table(await Ok("get", "quayregistries", "-n", ns));
        Assert.Equal(["NAME", "VERSION", "ENDPOINT", "AVAILABLE", "AGE"], table[0]);
        Assert.Equal(["example-registry", "3.16.2", "https://example-registry-quay-quay-enterprise.apps.sandbox.quaygateway.local", "True"], table[1][..4]);
        Assert.Matches("^[0-9]+s$", table[1][4]);
    }

    [Fact]
    public async Task Get_pods_prints_ready_status_restarts_and_age()
    {
        var ns = sandbox.NewNamespace("kc");
        var store = sandbox.Cluster.Store;
        var lastCrash = ObjectMeta.Timestamp(DateTimeOffset.UtcNow.AddMinutes(-20).AddSeconds(-20)); // past 10 minutes kubectl prints whole minutes
        void Pod(string name, string status)
        {
            store.Create("pods", ns, new JsonObject
            {
                ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["quay-operator/quayregistry"] = "example-registry" } },
                ["spec"] = new JsonObject { ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["image"] = "quay.io/projectquay/quay:3.16.2" }) },
                ["status"] = JsonNode.Parse(status),
            });
        }
        Pod("example-registry-quay-app-7d9f8-abcde", """{"phase":"Running","containerStatuses":[{"name":"c","ready":true,"restartCount":0,"state":{"running":{}}}]}""");
        Pod("example-registry-quay-database-66f4-x2k9q", """{"phase":"Pending","containerStatuses":[{"name":"c","ready":false,"restartCount":0,"state":{"waiting":{"reason":"ContainerCreating"}}}]}""");
        Pod("example-registry-quay-app-upgrade-8vlxt", """{"phase":"Succeeded","containerStatuses":[{"name":"c","ready":false,"restartCount":0,"state":{"terminated":{"reason":"Completed","exitCode":0}}}]}""");
        Pod("example-registry-clair-app-5f7c-qq8ws", """{"phase":"Running","containerStatuses":[{"name":"c","ready":false,"restartCount":5,"state":{"waiting":{"reason":"CrashLoopBackOff"}},"lastState":{"terminated":{"exitCode":1,"finishedAt":"AT"}}}]}"""
            .Replace("AT", lastCrash, StringComparison.Ordinal));

        var rows = Table(await Ok("get", "pods", "-n", ns)).ToDictionary(r => r[0], r => r[1..]);
        Assert.Equal(["READY", "STATUS", "RESTARTS", "AGE"], rows["NAME"]);
        Assert.Equal(["1/1", "Running", "0"], rows["example-registry-quay-app-7d9f8-abcde"][..3]);
        Assert.Equal(["0/1", "ContainerCreating", "0"], rows["example-registry-quay-database-66f4-x2k9q"][..3]);
        Assert.Equal(["0/1", "Completed", "0"], rows["example-registry-quay-app-upgrade-8vlxt"][..3]);
        Assert.Equal(["0/1", "CrashLoopBackOff", "5 (20m ago)"], rows["example-registry-clair-app-5f7c-qq8ws"][..3]);

        var selected = Table(await Ok("get", "pods", "-n", ns, "-l", "quay-operator/quayregistry=example-registry", "-o", "name"));
        Assert.Equal(4, selected.Length);
    }

    [Fact]
    public async Task Get_hpa_deployments_jobs_secrets_and_namespaces_print_their_columns()
    {
        var ns = sandbox.NewNamespace("kc");
        var store = sandbox.Cluster.Store;
        store.Create("horizontalpodautoscalers", ns, JsonNode.Parse("""
            {"metadata":{"name":"example-registry-quay-app"},
             "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"example-registry-quay-app"},"minReplicas":2,"maxReplicas":20,
                     "metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":90}}},
                                {"type":"Resource","resource":{"name":"memory","target":{"type":"Utilization","averageUtilization":90}}}]},
             "status":{"currentReplicas":2,"desiredReplicas":2,
                       "currentMetrics":[{"type":"Resource","resource":{"name":"cpu","current":{"averageUtilization":16}}},
                                         {"type":"Resource","resource":{"name":"memory","current":{"averageUtilization":0}}}]}}
            """)!.AsObject());
        store.Create("deployments", ns, JsonNode.Parse("""
            {"metadata":{"name":"example-registry-quay-app"},"spec":{"replicas":2,"selector":{"matchLabels":{"quay-component":"quay-app"}},"template":{}},
             "status":{"readyReplicas":1,"updatedReplicas":2,"availableReplicas":1}}
            """)!.AsObject());
        store.Create("jobs", ns, JsonNode.Parse("""
            {"metadata":{"name":"example-registry-quay-app-upgrade"},"spec":{"template":{}},
             "status":{"succeeded":1,"startTime":"2026-01-01T10:00:00Z","completionTime":"2026-01-01T10:00:42Z","conditions":[{"type":"Complete","status":"True"}]}}
            """)!.AsObject());
        store.Create("secrets", ns, JsonNode.Parse("""{"metadata":{"name":"init-config-bundle-secret"},"data":{"config.yaml":"RkVBVFVSRV9VU0VSX0lOSVRJQUxJWkU6IHRydWU="}}""")!.AsObject());

        var hpa = Table(await Ok("get", "hpa", "-n", ns));
        Assert.Equal(["NAME", "REFERENCE", "TARGETS", "MINPODS", "MAXPODS", "REPLICAS", "AGE"], hpa[0]);
        Assert.Equal(["example-registry-quay-app", "Deployment/example-registry-quay-app", "cpu: 16%/90%, memory: 0%/90%", "2", "20", "2"], hpa[1][..6]);

        var deployments = Table(await Ok("get", "deploy", "-n", ns));
        Assert.Equal(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], deployments[0]);
        Assert.Equal(["example-registry-quay-app", "1/2", "2", "1"], deployments[1][..4]);

        var jobs = Table(await Ok("get", "jobs", "-n", ns));
        Assert.Equal(["NAME", "STATUS", "COMPLETIONS", "DURATION", "AGE"], jobs[0]);
        Assert.Equal(["example-registry-quay-app-upgrade", "Complete", "1/1", "42s"], jobs[1][..4]);

        var secrets = Table(await Ok("get", "secrets", "-n", ns));
        Assert.Equal(["NAME", "TYPE", "DATA", "AGE"], secrets[0]);
        Assert.Equal(["init-config-bundle-secret", "Opaque", "1"], secrets[1][..3]);

        var namespaces = Table(await Ok("get", "ns", ns));
        Assert.Equal(["NAME", "STATUS", "AGE"], namespaces[0]);
        Assert.Equal([ns, "Active"], namespaces[1][..2]);
    }

    [Fact]
    public async Task Apply_explain_and_validation_errors_work_as_on_a_cluster()
    {
        var ns = sandbox.NewNamespace("kc");
        var manifest = $"""
            apiVersion: quay.redhat.com/v1
            kind: QuayRegistry
            metadata:
              name: applied
              namespace: {ns}
            spec:
              configBundleSecret: init-config-bundle-secret
            """;
        Assert.Equal("quayregistry.quay.redhat.com/applied serverside-applied", (await OkWithInput(manifest, "apply", "--server-side", "--field-manager=quay-gateway", "-f", "-")).Trim());
        Assert.Equal("quayregistry.quay.redhat.com/applied serverside-applied", (await OkWithInput(manifest, "apply", "--server-side", "--field-manager=quay-gateway", "-f", "-")).Trim());
        var managers = sandbox.Cluster.Store.Get("quayregistries", ns, "applied")!["metadata"]!["managedFields"]!.AsArray();
        Assert.Contains(managers, m => m!["manager"]!.GetValue<string>() == "quay-gateway" && m["operation"]!.GetValue<string>() == "Apply");

        var clientSide = manifest.Replace("name: applied", "name: client-side", StringComparison.Ordinal);
        Assert.Equal("quayregistry.quay.redhat.com/client-side created", (await OkWithInput(clientSide, "apply", "-f", "-")).Trim());
        Assert.Equal("quayregistry.quay.redhat.com/client-side configured",
            (await OkWithInput(clientSide.Replace("init-config-bundle-secret", "other-bundle", StringComparison.Ordinal), "apply", "-f", "-")).Trim());
        Assert.Equal("other-bundle", sandbox.Cluster.Store.Get("quayregistries", ns, "client-side")!["spec"]!["configBundleSecret"]!.GetValue<string>());

        var explain = await Ok("explain", "quayregistry.spec.components");
        Assert.Contains("KIND:       QuayRegistry", explain);
        Assert.Contains("managed\t<boolean> -required-", explain);

        var invalid = await sandbox.KubectlWithInputAsync(manifest.Replace("configBundleSecret: init-config-bundle-secret", "components: [{kind: foo, managed: true}]", StringComparison.Ordinal), "create", "-f", "-");
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("The QuayRegistry \"applied\" is invalid: spec.components[0].kind: Unsupported value: \"foo\"", invalid.Stderr);

        var missing = await sandbox.KubectlAsync("get", "quayregistry", "-n", ns, "nope");
        Assert.Contains("Error from server (NotFound): quayregistries.quay.redhat.com \"nope\" not found", missing.Stderr);
    }
}
