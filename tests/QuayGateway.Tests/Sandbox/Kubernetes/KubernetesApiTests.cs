using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayGateway.Sandbox.Kubernetes;

namespace QuayGateway.Tests.Sandbox.Kubernetes;

/// <summary>The sandbox's Kubernetes REST protocol as the real KubernetesClient sees it.</summary>
[Collection(SandboxCollection.Name)]
public sealed class KubernetesApiTests(SandboxFixture sandbox)
{
    internal const string Group = "quay.redhat.com";
    internal const string Version = "v1";
    internal const string Plural = "quayregistries";

    private ICustomObjectsOperations CustomObjects => sandbox.Client.CustomObjects;

    internal static JsonObject Registry(string name, string? spec = null) => new()
    {
        ["apiVersion"] = "quay.redhat.com/v1",
        ["kind"] = "QuayRegistry",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = spec is null ? new JsonObject() : JsonNode.Parse(spec),
    };

    internal static async Task<JsonObject> StatusOf(Func<Task> call, HttpStatusCode expected)
    {
        var e = await Assert.ThrowsAsync<HttpOperationException>(call);
        Assert.Equal(expected, e.Response.StatusCode);
        var status = JsonNode.Parse(e.Response.Content)!.AsObject();
        Assert.Equal("Status", status["kind"]!.GetValue<string>());
        Assert.Equal("Failure", status["status"]!.GetValue<string>());
        Assert.Equal((int)expected, status["code"]!.GetValue<int>());
        return status;
    }

    private async Task<JsonObject> CreateRegistry(string ns, string name, string? spec = null) =>
        SandboxFixture.ToJson(await CustomObjects.CreateNamespacedCustomObjectAsync(Registry(name, spec), Group, Version, ns, Plural));

    private async Task<JsonObject> GetRegistry(string ns, string name) =>
        SandboxFixture.ToJson(await CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, ns, Plural, name));

    [Fact]
    public async Task Create_get_list_replace_patch_and_delete_a_QuayRegistry()
    {
        var ns = sandbox.NewNamespace();
        var created = await CreateRegistry(ns, "example-registry", """{"configBundleSecret":"init-config-bundle-secret"}""");
        Assert.Equal(ns, created.Namespace());
        Assert.False(string.IsNullOrEmpty(created.Uid()));

        var list = SandboxFixture.ToJson(await CustomObjects.ListNamespacedCustomObjectAsync(Group, Version, ns, Plural));
        Assert.Equal("QuayRegistryList", list["kind"]!.GetValue<string>());
        Assert.Equal(["example-registry"], list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>()));

        var fetched = await GetRegistry(ns, "example-registry");
        fetched["spec"]!["configBundleSecret"] = "other";
        var replaced = SandboxFixture.ToJson(await CustomObjects.ReplaceNamespacedCustomObjectAsync(fetched, Group, Version, ns, Plural, "example-registry"));
        Assert.Equal("other", replaced["spec"]!["configBundleSecret"]!.GetValue<string>());

        var patch = new V1Patch("""{"metadata":{"labels":{"team":"platform"}}}""", V1Patch.PatchType.MergePatch);
        var patched = SandboxFixture.ToJson(await CustomObjects.PatchNamespacedCustomObjectAsync(patch, Group, Version, ns, Plural, "example-registry"));
        Assert.Equal("platform", patched["metadata"]!["labels"]!["team"]!.GetValue<string>());

        await CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, ns, Plural, "example-registry");
        await StatusOf(() => GetRegistry(ns, "example-registry"), HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Errors_are_Status_objects_worded_like_a_real_apiserver()
    {
        var ns = sandbox.NewNamespace();
        var notFound = await StatusOf(() => GetRegistry(ns, "nope"), HttpStatusCode.NotFound);
        Assert.Equal("quayregistries.quay.redhat.com \"nope\" not found", notFound["message"]!.GetValue<string>());
        Assert.Equal("NotFound", notFound["reason"]!.GetValue<string>());
        Assert.Equal("nope", notFound["details"]!["name"]!.GetValue<string>());
        Assert.Equal("quay.redhat.com", notFound["details"]!["group"]!.GetValue<string>());
        Assert.Equal("quayregistries", notFound["details"]!["kind"]!.GetValue<string>());

        await CreateRegistry(ns, "r");
        var exists = await StatusOf(() => CreateRegistry(ns, "r"), HttpStatusCode.Conflict);
        Assert.Equal("AlreadyExists", exists["reason"]!.GetValue<string>());
        Assert.Equal("quayregistries.quay.redhat.com \"r\" already exists", exists["message"]!.GetValue<string>());

        var stale = await GetRegistry(ns, "r");
        await CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"spec":{"configBundleSecret":"b"}}""", V1Patch.PatchType.MergePatch), Group, Version, ns, Plural, "r");
        stale["spec"]!["configBundleSecret"] = "c";
        var conflict = await StatusOf(() => CustomObjects.ReplaceNamespacedCustomObjectAsync(stale, Group, Version, ns, Plural, "r"), HttpStatusCode.Conflict);
        Assert.Equal("Conflict", conflict["reason"]!.GetValue<string>());
        Assert.Equal("Operation cannot be fulfilled on quayregistries.quay.redhat.com \"r\": the object has been modified; please apply your changes to the latest version and try again",
            conflict["message"]!.GetValue<string>());

        var missingNamespace = await StatusOf(() => CreateRegistry("no-such-namespace", "r"), HttpStatusCode.NotFound);
        Assert.Equal("namespaces \"no-such-namespace\" not found", missingNamespace["message"]!.GetValue<string>());

        var badName = await StatusOf(() => CreateRegistry(ns, "Bad_Name"), HttpStatusCode.UnprocessableEntity);
        Assert.StartsWith("QuayRegistry.quay.redhat.com \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain", badName["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Generation_counts_spec_changes_only_and_the_status_subresource_is_separate()
    {
        var ns = sandbox.NewNamespace();
        var created = await CreateRegistry(ns, "r");
        Assert.Equal(1, created["metadata"]!["generation"]!.GetValue<long>());

        var labelled = SandboxFixture.ToJson(await CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"labels":{"a":"b"}},"status":{"currentVersion":"ignored"}}""", V1Patch.PatchType.MergePatch), Group, Version, ns, Plural, "r"));
        Assert.Equal(1, labelled["metadata"]!["generation"]!.GetValue<long>());
        Assert.Null(labelled["status"]);

        var withStatus = SandboxFixture.ToJson(await CustomObjects.PatchNamespacedCustomObjectStatusAsync(
            new V1Patch("""{"spec":{"configBundleSecret":"ignored"},"status":{"currentVersion":"3.16.2"}}""", V1Patch.PatchType.MergePatch), Group, Version, ns, Plural, "r"));
        Assert.Equal("3.16.2", withStatus["status"]!["currentVersion"]!.GetValue<string>());
        Assert.Null(withStatus["spec"]!["configBundleSecret"]);
        Assert.Equal(1, withStatus["metadata"]!["generation"]!.GetValue<long>());

        withStatus["status"]!["registryEndpoint"] = "https://example";
        var replacedStatus = SandboxFixture.ToJson(await CustomObjects.ReplaceNamespacedCustomObjectStatusAsync(withStatus, Group, Version, ns, Plural, "r"));
        Assert.Equal("https://example", replacedStatus["status"]!["registryEndpoint"]!.GetValue<string>());

        var specChanged = SandboxFixture.ToJson(await CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"spec":{"configBundleSecret":"bundle"}}""", V1Patch.PatchType.MergePatch), Group, Version, ns, Plural, "r"));
        Assert.Equal(2, specChanged["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal("3.16.2", specChanged["status"]!["currentVersion"]!.GetValue<string>());
    }

    [Fact]
    public async Task Label_and_field_selectors_filter_lists()
    {
        var ns = sandbox.NewNamespace();
        foreach (var (name, component) in new[] { ("app-1", "quay-app"), ("db-1", "postgres"), ("redis-1", "redis") })
        {
            await sandbox.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod
            {
                Metadata = new V1ObjectMeta { Name = name, Labels = new Dictionary<string, string> { ["quay-component"] = component, ["quay-operator/quayregistry"] = "r" } },
                Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "quay.io/x" }] },
            }, ns);
        }
        await sandbox.Client.CoreV1.CreateNamespacedPodAsync(new V1Pod { Metadata = new V1ObjectMeta { Name = "unlabelled" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c" }] } }, ns);

        async Task<string[]> Names(string? labels = null, string? fields = null) =>
            (await sandbox.Client.CoreV1.ListNamespacedPodAsync(ns, labelSelector: labels, fieldSelector: fields)).Items.Select(p => p.Metadata.Name).ToArray();

        Assert.Equal(["app-1"], await Names("quay-component=quay-app"));
        Assert.Equal(["app-1"], await Names("quay-component==quay-app,quay-operator/quayregistry=r"));
        Assert.Equal(["db-1", "redis-1", "unlabelled"], await Names("quay-component!=quay-app"));
        Assert.Equal(["db-1", "redis-1"], await Names("quay-component in (postgres,redis)"));
        Assert.Equal(["app-1", "unlabelled"], await Names("quay-component notin (postgres,redis)"));
        Assert.Equal(["app-1", "db-1", "redis-1"], await Names("quay-component"));
        Assert.Equal(["unlabelled"], await Names("!quay-component"));
        Assert.Equal(["db-1"], await Names(fields: "metadata.name=db-1"));

        var badSelector = await StatusOf(() => Names("quay-component in postgres"), HttpStatusCode.BadRequest);
        Assert.Contains("unable to parse requirement", badSelector["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Lists_page_with_limit_and_continue()
    {
        var ns = sandbox.NewNamespace();
        for (var i = 0; i < 5; i++)
        {
            await sandbox.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = $"s{i}" } }, ns);
        }
        var first = await sandbox.Client.CoreV1.ListNamespacedSecretAsync(ns, limit: 2);
        var second = await sandbox.Client.CoreV1.ListNamespacedSecretAsync(ns, limit: 2, continueParameter: first.Metadata.ContinueProperty);
        var third = await sandbox.Client.CoreV1.ListNamespacedSecretAsync(ns, limit: 2, continueParameter: second.Metadata.ContinueProperty);
        Assert.Equal(["s0", "s1", "s2", "s3", "s4"], first.Items.Concat(second.Items).Concat(third.Items).Select(s => s.Metadata.Name));
        Assert.Null(third.Metadata.ContinueProperty);
        Assert.Equal("Opaque", first.Items[0].Type);
    }

    [Fact]
    public async Task Server_side_apply_merges_by_field_manager()
    {
        var ns = sandbox.NewNamespace();
        var desired = Registry("r", """{"components":[{"kind":"clair","managed":false}]}""");
        desired.Metadata()["namespace"] = ns;
        async Task<JsonObject> Apply(JsonObject body, string manager, bool force) =>
            SandboxFixture.ToJson(await CustomObjects.PatchNamespacedCustomObjectAsync(
                new V1Patch(body, V1Patch.PatchType.ApplyPatch), Group, Version, ns, Plural, "r", fieldManager: manager, force: force));

        var created = await Apply(desired, "quay-gateway", force: true);
        Assert.Equal("clair", created["spec"]!["components"]![0]!["kind"]!.GetValue<string>());
        Assert.Contains(created["metadata"]!["managedFields"]!.AsArray(), m => m!["manager"]!.GetValue<string>() == "quay-gateway" && m["operation"]!.GetValue<string>() == "Apply");

        // The operator writes back into spec: a bundle name and a finalizer.
        await CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"finalizers":["quay-operator/finalizer"]},"spec":{"configBundleSecret":"r-config-bundle-x7k2p"}}""", V1Patch.PatchType.MergePatch),
            Group, Version, ns, Plural, "r", fieldManager: "quay-operator");
        var reapplied = await Apply(desired, "quay-gateway", force: true);
        Assert.Equal("r-config-bundle-x7k2p", reapplied["spec"]!["configBundleSecret"]!.GetValue<string>());
        Assert.Equal(["quay-operator/finalizer"], reapplied["metadata"]!["finalizers"]!.AsArray().Select(f => f!.GetValue<string>()));

        // A field another manager owns and this apply changes is a conflict unless forced.
        var takeOver = Registry("r", """{"configBundleSecret":"mine"}""");
        var conflict = await StatusOf(() => Apply(takeOver, "quay-gateway", force: false), HttpStatusCode.Conflict);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"quay-operator\" using quay.redhat.com/v1: .spec.configBundleSecret", conflict["message"]!.GetValue<string>());
        Assert.Equal(".spec.configBundleSecret", conflict["details"]!["causes"]![0]!["field"]!.GetValue<string>());

        // Forced, the applier takes the field over; it stopped applying components, which it alone owned, so they go.
        var forced = await Apply(takeOver, "quay-gateway", force: true);
        Assert.Equal("mine", forced["spec"]!["configBundleSecret"]!.GetValue<string>());
        Assert.Null(forced["spec"]!["components"]);

        var missingManager = await StatusOf(() => CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch(takeOver, V1Patch.PatchType.ApplyPatch), Group, Version, ns, Plural, "r"), HttpStatusCode.BadRequest);
        Assert.Contains("fieldManager", missingManager["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Delete_respects_finalizers_and_collects_owned_objects()
    {
        var ns = sandbox.NewNamespace();
        var registry = Registry("r");
        registry.Metadata()["finalizers"] = new JsonArray("quay-operator/finalizer");
        var created = SandboxFixture.ToJson(await CustomObjects.CreateNamespacedCustomObjectAsync(registry, Group, Version, ns, Plural));
        var owner = new V1OwnerReference { ApiVersion = "quay.redhat.com/v1", Kind = "QuayRegistry", Name = "r", Uid = created.Uid(), Controller = true, BlockOwnerDeletion = true };
        await sandbox.Client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "r-quay-app", OwnerReferences = [owner] },
            Spec = new V1DeploymentSpec { Selector = new V1LabelSelector(), Template = new V1PodTemplateSpec() },
        }, ns);
        await sandbox.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "r-quay-config-secret-abc", OwnerReferences = [owner] } }, ns);

        await CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, ns, Plural, "r");
        var terminating = await GetRegistry(ns, "r");
        Assert.NotNull(terminating["metadata"]!["deletionTimestamp"]);
        Assert.Single((await sandbox.Client.AppsV1.ListNamespacedDeploymentAsync(ns)).Items);

        await CustomObjects.PatchNamespacedCustomObjectAsync(new V1Patch("""{"metadata":{"finalizers":null}}""", V1Patch.PatchType.MergePatch), Group, Version, ns, Plural, "r");
        await StatusOf(() => GetRegistry(ns, "r"), HttpStatusCode.NotFound);
        Assert.Empty((await sandbox.Client.AppsV1.ListNamespacedDeploymentAsync(ns)).Items);
        Assert.Empty((await sandbox.Client.CoreV1.ListNamespacedSecretAsync(ns)).Items);
    }

    [Fact]
    public async Task Delete_honours_preconditions_and_orphaning()
    {
        var ns = sandbox.NewNamespace();
        var created = await CreateRegistry(ns, "r");
        var owner = new V1OwnerReference { ApiVersion = "quay.redhat.com/v1", Kind = "QuayRegistry", Name = "r", Uid = created.Uid() };
        await sandbox.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "kept", OwnerReferences = [owner] } }, ns);

        var stale = await StatusOf(() => CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, ns, Plural, "r",
            new V1DeleteOptions { Preconditions = new V1Preconditions { ResourceVersion = "1" } }), HttpStatusCode.Conflict);
        Assert.Contains("Precondition failed: ResourceVersion in precondition: 1", stale["message"]!.GetValue<string>());

        await CustomObjects.DeleteNamespacedCustomObjectAsync(Group, Version, ns, Plural, "r",
            new V1DeleteOptions { PropagationPolicy = "Orphan", Preconditions = new V1Preconditions { Uid = created.Uid() } });
        await StatusOf(() => GetRegistry(ns, "r"), HttpStatusCode.NotFound);
        Assert.Equal("kept", (await sandbox.Client.CoreV1.ReadNamespacedSecretAsync("kept", ns)).Metadata.Name);
    }

    [Fact]
    public async Task Deleting_a_namespace_deletes_everything_in_it()
    {
        var ns = sandbox.NewNamespace();
        await CreateRegistry(ns, "r");
        await sandbox.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "init-config-bundle-secret" } }, ns);
        await sandbox.Client.BatchV1.CreateNamespacedJobAsync(new V1Job { Metadata = new V1ObjectMeta { Name = "r-quay-app-upgrade" }, Spec = new V1JobSpec { Template = new V1PodTemplateSpec() } }, ns);

        await sandbox.Client.CoreV1.DeleteNamespaceAsync(ns);

        await StatusOf(() => sandbox.Client.CoreV1.ReadNamespaceAsync(ns), HttpStatusCode.NotFound);
        Assert.Null(sandbox.Cluster.Store.Get("quayregistries", ns, "r"));
        Assert.Null(sandbox.Cluster.Store.Get("secrets", ns, "init-config-bundle-secret"));
        Assert.Null(sandbox.Cluster.Store.Get("jobs", ns, "r-quay-app-upgrade"));
    }

    [Fact]
    public async Task DryRun_All_validates_but_stores_nothing()
    {
        var ns = sandbox.NewNamespace();
        var revision = sandbox.Cluster.Store.CurrentResourceVersion;
        var answer = SandboxFixture.ToJson(await CustomObjects.CreateNamespacedCustomObjectAsync(Registry("r"), Group, Version, ns, Plural, dryRun: "All"));
        Assert.Equal("r", answer.Name());
        Assert.Null(sandbox.Cluster.Store.Get("quayregistries", ns, "r"));
        Assert.Equal(revision, sandbox.Cluster.Store.CurrentResourceVersion);
        await StatusOf(() => CustomObjects.CreateNamespacedCustomObjectAsync(Registry("r", """{"components":[{"kind":"nope","managed":true}]}"""), Group, Version, ns, Plural, dryRun: "All"),
            HttpStatusCode.UnprocessableEntity);
    }

    [Fact]
    public async Task Every_served_group_answers_through_the_typed_clients()
    {
        var ns = sandbox.NewNamespace();
        var hpa = await sandbox.Client.AutoscalingV2.CreateNamespacedHorizontalPodAutoscalerAsync(new V2HorizontalPodAutoscaler
        {
            Metadata = new V1ObjectMeta { Name = "r-quay-app" },
            Spec = new V2HorizontalPodAutoscalerSpec { MinReplicas = 2, MaxReplicas = 20, ScaleTargetRef = new V2CrossVersionObjectReference { Kind = "Deployment", Name = "r-quay-app", ApiVersion = "apps/v1" } },
        }, ns);
        Assert.Equal(1, hpa.Metadata.Generation);
        var ev = await sandbox.Client.CoreV1.CreateNamespacedEventAsync(new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = "r.1" },
            InvolvedObject = new V1ObjectReference { Kind = "QuayRegistry", Name = "r", NamespaceProperty = ns },
            Reason = "ComponentsCreationSuccess",
            Message = "All objects created/updated successfully",
            Type = "Normal",
        }, ns);
        Assert.Equal("ComponentsCreationSuccess", ev.Reason);
        var job = await sandbox.Client.BatchV1.CreateNamespacedJobAsync(new V1Job { Metadata = new V1ObjectMeta { Name = "j" }, Spec = new V1JobSpec { Template = new V1PodTemplateSpec() } }, ns);
        job.Status = new V1JobStatus { Succeeded = 1 };
        var jobStatus = await sandbox.Client.BatchV1.ReplaceNamespacedJobStatusAsync(job, "j", ns);
        Assert.Equal(1, jobStatus.Status.Succeeded);
        var namespaces = await sandbox.Client.CoreV1.ListNamespaceAsync();
        Assert.Contains(namespaces.Items, n => n.Metadata.Name == ns && n.Status.Phase == "Active");
        var allPods = await sandbox.Client.CoreV1.ListPodForAllNamespacesAsync();
        Assert.NotNull(allPods.Metadata.ResourceVersion);
    }
}
