using System.Text.Json.Nodes;
using QuayGateway.Sandbox.Kubernetes;

namespace QuayGateway.Tests.Sandbox.Kubernetes;

public sealed class ObjectStoreTests
{
    private static JsonObject Registry(string name, string? spec = null) => new()
    {
        ["apiVersion"] = "quay.redhat.com/v1",
        ["kind"] = "QuayRegistry",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["spec"] = spec is null ? new JsonObject() : JsonNode.Parse(spec),
    };

    private static ObjectStore StoreWithNamespace(string ns = "quay-enterprise", int history = 10_000)
    {
        var store = new ObjectStore(history);
        store.Create("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        return store;
    }

    [Fact]
    public void Create_sets_system_fields_and_generation()
    {
        var store = StoreWithNamespace();
        var created = store.Create("quayregistries", "quay-enterprise", Registry("example-registry"));

        Assert.NotNull(created.Uid());
        Assert.NotNull(created["metadata"]!["creationTimestamp"]);
        Assert.Equal(store.CurrentResourceVersion.ToString(), created.ResourceVersion());
        Assert.Equal(1, created["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal("quay-enterprise", created.Namespace());
    }

    [Fact]
    public void Create_twice_is_AlreadyExists_and_generateName_makes_a_name()
    {
        var store = StoreWithNamespace();
        store.Create("quayregistries", "quay-enterprise", Registry("a"));
        var ex = Assert.Throws<KubernetesStatusException>(() => store.Create("quayregistries", "quay-enterprise", Registry("a")));
        Assert.Equal((409, "AlreadyExists"), (ex.Code, ex.Reason));
        Assert.Equal("quayregistries.quay.redhat.com \"a\" already exists", ex.Message);

        var generated = store.Create("secrets", "quay-enterprise", new JsonObject { ["metadata"] = new JsonObject { ["generateName"] = "bundle-" } });
        Assert.Matches("^bundle-[a-z0-9]{5}$", generated.Name());
    }

    [Fact]
    public void Create_in_missing_namespace_is_NotFound()
    {
        var store = new ObjectStore();
        var ex = Assert.Throws<KubernetesStatusException>(() => store.Create("pods", "nope", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "p" } }));
        Assert.Equal("namespaces \"nope\" not found", ex.Message);
    }

    [Fact]
    public void Generation_moves_on_spec_changes_only_and_status_is_ignored_by_update()
    {
        var store = StoreWithNamespace();
        var created = store.Create("quayregistries", "quay-enterprise", Registry("r"));

        created.Metadata()["labels"] = new JsonObject { ["team"] = "a" };
        created["status"] = new JsonObject { ["currentVersion"] = "hacked" };
        var labelled = store.Update("quayregistries", "quay-enterprise", created);
        Assert.Equal(1, labelled["metadata"]!["generation"]!.GetValue<long>());
        Assert.Null(labelled["status"]);

        labelled["spec"] = JsonNode.Parse("""{"configBundleSecret":"b"}""");
        var changed = store.Update("quayregistries", "quay-enterprise", labelled);
        Assert.Equal(2, changed["metadata"]!["generation"]!.GetValue<long>());

        changed["status"] = new JsonObject { ["currentVersion"] = "3.16.2" };
        var withStatus = store.UpdateStatus("quayregistries", "quay-enterprise", changed);
        Assert.Equal("3.16.2", withStatus["status"]!["currentVersion"]!.GetValue<string>());
        Assert.Equal(2, withStatus["metadata"]!["generation"]!.GetValue<long>());
    }

    [Fact]
    public void Update_with_stale_resourceVersion_is_Conflict_and_noop_update_commits_nothing()
    {
        var store = StoreWithNamespace();
        var created = store.Create("quayregistries", "quay-enterprise", Registry("r"));
        var same = store.Update("quayregistries", "quay-enterprise", created);
        Assert.Equal(created.ResourceVersion(), same.ResourceVersion());

        store.MergePatch("quayregistries", "quay-enterprise", "r", JsonNode.Parse("""{"spec":{"configBundleSecret":"x"}}""")!);
        var ex = Assert.Throws<KubernetesStatusException>(() => store.Update("quayregistries", "quay-enterprise", created));
        Assert.Equal(409, ex.Code);
        Assert.Equal("Operation cannot be fulfilled on quayregistries.quay.redhat.com \"r\": the object has been modified; please apply your changes to the latest version and try again", ex.Message);
    }

    [Fact]
    public void List_filters_by_namespace_and_label_selector()
    {
        var store = StoreWithNamespace();
        store.Create("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "other" } });
        foreach (var (ns, name, component) in new[] { ("quay-enterprise", "a", "quay-app"), ("quay-enterprise", "b", "postgres"), ("other", "c", "quay-app") })
        {
            store.Create("pods", ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["labels"] = new JsonObject { ["quay-component"] = component } } });
        }
        Assert.Equal(["c", "a"], store.List("pods", null, "quay-component=quay-app").Select(p => p.Name()));
        Assert.Equal(["b"], store.List("pods", "quay-enterprise", "quay-component!=quay-app").Select(p => p.Name()));
        Assert.Equal(["a", "b"], store.List("pods", "quay-enterprise", "quay-component in (quay-app, postgres)").Select(p => p.Name()));
        Assert.Equal(["b"], store.List("pods", "quay-enterprise", "quay-component notin (quay-app)").Select(p => p.Name()));
        Assert.Equal(3, store.List("pods", null, "quay-component").Count);
        Assert.Empty(store.List("pods", null, "!quay-component"));
    }

    [Fact]
    public void Delete_respects_finalizers_then_collects_owned_objects()
    {
        var store = StoreWithNamespace();
        var registry = Registry("r");
        registry.Metadata()["finalizers"] = new JsonArray("quay-operator/finalizer");
        var created = store.Create("quayregistries", "quay-enterprise", registry);
        store.Create("deployments", "quay-enterprise", new JsonObject
        {
            ["metadata"] = new JsonObject
            {
                ["name"] = "r-quay-app",
                ["ownerReferences"] = new JsonArray(new JsonObject { ["apiVersion"] = "quay.redhat.com/v1", ["kind"] = "QuayRegistry", ["name"] = "r", ["uid"] = created.Uid() }),
            },
        });

        var pending = store.Delete("quayregistries", "quay-enterprise", "r");
        Assert.True(pending.IsDeleting());
        Assert.NotNull(store.Get("quayregistries", "quay-enterprise", "r"));
        Assert.NotNull(store.Get("deployments", "quay-enterprise", "r-quay-app"));

        store.MergePatch("quayregistries", "quay-enterprise", "r", JsonNode.Parse("""{"metadata":{"finalizers":null}}""")!);
        Assert.Null(store.Get("quayregistries", "quay-enterprise", "r"));
        Assert.Null(store.Get("deployments", "quay-enterprise", "r-quay-app"));
    }

    [Fact]
    public void Deleting_a_namespace_deletes_its_content()
    {
        var store = StoreWithNamespace();
        store.Create("secrets", "quay-enterprise", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "s" } });
        store.Delete("namespaces", null, "quay-enterprise");
        Assert.Null(store.Get("secrets", "quay-enterprise", "s"));
        Assert.Null(store.Get("namespaces", null, "quay-enterprise"));
    }

    [Fact]
    public void Apply_keeps_fields_other_managers_wrote_and_reports_conflicts()
    {
        var store = StoreWithNamespace();
        var applied = Registry("r", """{"components":[{"kind":"clair","managed":false}]}""");
        applied.Metadata()["namespace"] = "quay-enterprise";
        store.Apply("quayregistries", "quay-enterprise", applied, "gateway", force: false);

        store.MergePatch("quayregistries", "quay-enterprise", "r", JsonNode.Parse("""{"spec":{"configBundleSecret":"r-config-bundle-abcde"}}""")!, fieldManager: "quay-operator");
        var reapplied = store.Apply("quayregistries", "quay-enterprise", applied, "gateway", force: false);
        Assert.Equal("r-config-bundle-abcde", reapplied["spec"]!["configBundleSecret"]!.GetValue<string>());

        store.MergePatch("quayregistries", "quay-enterprise", "r",
            JsonNode.Parse("""{"spec":{"components":[{"kind":"clair","managed":false},{"kind":"quay","managed":true}]}}""")!, fieldManager: "quay-operator");
        var changed = Registry("r", """{"components":[{"kind":"mirror","managed":false}]}""");
        var ex = Assert.Throws<KubernetesStatusException>(() => store.Apply("quayregistries", "quay-enterprise", changed, "gateway", force: false));
        Assert.Equal(409, ex.Code);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"quay-operator\" using quay.redhat.com/v1: .spec.components", ex.Message);

        var forced = store.Apply("quayregistries", "quay-enterprise", changed, "gateway", force: true);
        Assert.Equal("mirror", forced["spec"]!["components"]![0]!["kind"]!.GetValue<string>());
        Assert.Equal("r-config-bundle-abcde", forced["spec"]!["configBundleSecret"]!.GetValue<string>());
    }

    [Fact]
    public void Apply_removes_fields_the_manager_stopped_applying()
    {
        var store = StoreWithNamespace();
        var first = Registry("r", """{"configBundleSecret":"init-config-bundle-secret"}""");
        first.Metadata()["labels"] = new JsonObject { ["team"] = "a" };
        store.Apply("quayregistries", "quay-enterprise", first, "gateway", force: false);
        var second = store.Apply("quayregistries", "quay-enterprise", Registry("r"), "gateway", force: false);
        Assert.Null(second["spec"]?["configBundleSecret"]);
        Assert.Null(second["metadata"]!["labels"]?["team"]);
    }

    [Fact]
    public void Subscribers_see_every_commit_in_order_outside_the_lock()
    {
        var store = StoreWithNamespace();
        var seen = new List<string>();
        using var _ = store.Subscribe(e =>
        {
            seen.Add($"{e.Type} {e.Resource} {e.Object.Name()}");
            if (e.Type == "ADDED" && e.Object.Name() == "a") store.Create("secrets", "quay-enterprise", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "b" } });
        });
        store.Create("secrets", "quay-enterprise", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "a" } });
        store.Delete("secrets", "quay-enterprise", "a");
        Assert.Equal(["ADDED secrets a", "ADDED secrets b", "DELETED secrets a"], seen);
    }

    [Fact]
    public async Task Concurrent_writers_get_one_event_per_commit_delivered_in_revision_order()
    {
        var store = StoreWithNamespace();
        var revisions = new List<long>();
        using var _ = store.Subscribe(e =>
        {
            lock (revisions) revisions.Add(long.Parse(e.Object.ResourceVersion()!, System.Globalization.CultureInfo.InvariantCulture));
        });
        var start = store.CurrentResourceVersion;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(writer => Task.Run(() =>
        {
            store.Create("secrets", "quay-enterprise", new JsonObject { ["metadata"] = new JsonObject { ["name"] = $"w{writer}" } });
            for (var i = 0; i < 100; i++)
            {
                store.MergePatch("secrets", "quay-enterprise", $"w{writer}", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["n"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) } } });
            }
        })));
        Assert.Equal(start + 404, store.CurrentResourceVersion);
        Assert.Equal(Enumerable.Range(1, 404).Select(i => start + i), revisions);
    }

    [Fact]
    public void Watch_history_is_bounded_and_older_resume_points_are_Gone()
    {
        var store = StoreWithNamespace(history: 5);
        var start = store.CurrentResourceVersion;
        for (var i = 0; i < 10; i++) store.Create("secrets", "quay-enterprise", new JsonObject { ["metadata"] = new JsonObject { ["name"] = $"s{i}" } });
        var ex = Assert.Throws<KubernetesStatusException>(() => store.ThrowIfExpired(start));
        Assert.Equal(410, ex.Code);
        Assert.Equal($"too old resource version: {start} ({store.CurrentResourceVersion - 5})", ex.Message);
        store.ThrowIfExpired(store.CurrentResourceVersion - 5);
    }
}
