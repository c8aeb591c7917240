using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Clusters;
using QuayGateway.Registries.Model;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Tests.Quay;

namespace QuayGateway.Tests.Rollout;

/// <summary>
/// The gateway never touches what is not its own: an object in a registry's place that it did not make blocks the
/// registry and stays as it was, a look-alike elsewhere (or another object under the same name) changes nothing, and a
/// delete removes only the registry's own objects.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OwnershipTests(GatewayFixture gateway)
{
    private const string Group = QuayRegistryResource.Group;
    private const string Version = QuayRegistryResource.Version;
    private const string Plural = QuayRegistryResource.Plural;

    private readonly ProvisioningScenario _scenario = new(gateway);

    [Fact]
    public async Task A_QuayRegistry_the_gateway_did_not_make_blocks_the_registry_and_outlives_its_delete()
    {
        var ns = ProvisioningScenario.UniqueNamespace("foreign-qr");
        using var kubernetes = _scenario.Kubernetes();
        await CreateNamespaceAsync(kubernetes, ns);
        await kubernetes.CustomObjects.CreateNamespacedCustomObjectAsync(QuayRegistry("taken", annotations: null), Group, Version, ns, Plural);
        // The operator reconciles any QuayRegistry, ours or not, and writes its config bundle Secret's name back: compare
        // with the object after that, so what is left to change it is the gateway alone.
        var before = await GatewayFixture.EventuallyAsync(() => ReadAsync(kubernetes, ns, "taken"),
            r => r["spec"]?["configBundleSecret"] is not null, TimeSpan.FromSeconds(30));

        var created = await _scenario.CreateAsync(new CreateRegistryRequest("taken", ns));
        var blocked = await _scenario.WaitForAsync(created.Id, RegistryState.Blocked);

        var applied = blocked.Conditions.Single(c => c.Type == ConditionTypes.Applied);
        Assert.Equal(ApplyRegistryJob.ForeignObjectReason, applied.Reason);
        Assert.Contains("QuayRegistry 'taken'", applied.Message, StringComparison.Ordinal);
        Assert.Contains(ns, applied.Message, StringComparison.Ordinal);
        var after = await ReadAsync(kubernetes, ns, "taken");
        AssertUntouched(before, after);

        await DeleteAndWaitAsync(created.Id);
        var survivor = await ReadAsync(kubernetes, ns, "taken");
        AssertUntouched(before, survivor);
        Assert.Null(survivor["metadata"]!["deletionTimestamp"]);
    }

    [Fact]
    public async Task A_bundle_Secret_the_gateway_did_not_make_blocks_the_registry_and_outlives_its_delete()
    {
        var ns = ProvisioningScenario.UniqueNamespace("foreign-secret");
        await _scenario.CreateSecretAsync(ns, "bundled-config-bundle", "SOMEONE_ELSES: true\n");
        using var kubernetes = _scenario.Kubernetes();
        var before = await kubernetes.CoreV1.ReadNamespacedSecretAsync("bundled-config-bundle", ns);

        var created = await _scenario.CreateAsync(new CreateRegistryRequest("bundled", ns,
            ConfigBundle: new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\n" }));
        var blocked = await _scenario.WaitForAsync(created.Id, RegistryState.Blocked);

        var applied = blocked.Conditions.Single(c => c.Type == ConditionTypes.Applied);
        Assert.Equal(ApplyRegistryJob.ForeignObjectReason, applied.Reason);
        Assert.Contains("Secret 'bundled-config-bundle'", applied.Message, StringComparison.Ordinal);
        await AssertSecretUntouchedAsync(kubernetes, before);
        // Nothing was applied: the QuayRegistry is not there either.
        var missing = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            kubernetes.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, ns, Plural, "bundled"));
        Assert.Equal(HttpStatusCode.NotFound, missing.Response.StatusCode);

        await DeleteAndWaitAsync(created.Id);
        await AssertSecretUntouchedAsync(kubernetes, before);
    }

    [Fact]
    public async Task A_look_alike_with_a_copied_annotation_in_another_namespace_changes_nothing_and_gets_no_token()
    {
        var quay = new QuayScenario(gateway);
        var registry = await quay.AvailableAsync("spoof-target");
        using (var initialized = await quay.InitializeAsync(registry.Id))
        {
            Assert.Equal(HttpStatusCode.Created, initialized.StatusCode);
        }

        var foreignBefore = await ForeignObjectsCountedAsync();
        var elsewhere = ProvisioningScenario.UniqueNamespace("spoof");
        using var kubernetes = _scenario.Kubernetes();
        await CreateNamespaceAsync(kubernetes, elsewhere);
        // The copy claims the registry (annotation, managed-by label); the sandbox's operator rolls it out, so its status
        // names its own endpoint, as an attacker's listener would.
        await kubernetes.CustomObjects.CreateNamespacedCustomObjectAsync(QuayRegistry(registry.Name, new Dictionary<string, string>
        {
            [ClusterClient.RegistryIdAnnotation] = registry.Id.ToString(),
        }), Group, Version, elsewhere, Plural);
        var spoofed = await GatewayFixture.EventuallyAsync(() => ReadAsync(kubernetes, elsewhere, registry.Name),
            o => o["status"]?["registryEndpoint"] is not null, TimeSpan.FromSeconds(30));
        Assert.NotNull(spoofed["status"]?["registryEndpoint"]);
        Assert.True(await GatewayFixture.EventuallyAsync(ForeignObjectsCountedAsync, n => n > foreignBefore) > foreignBefore,
            "the watch did not count the look-alike");

        var after = await _scenario.GetAsync(registry.Id);
        Assert.Equal(registry.RegistryEndpoint, after.RegistryEndpoint);
        Assert.NotEqual((string?)spoofed["status"]!["registryEndpoint"], after.RegistryEndpoint);
        Assert.Equal(RegistryState.Ready, after.State);
        // The stored token still goes to the registry's own Quay: it knows the token and the user it belongs to.
        using var users = await quay.Client.GetAsync($"/v1/registries/{registry.Id}/quay/users");
        Assert.Equal(HttpStatusCode.OK, users.StatusCode);
        Assert.Contains("quayadmin", await users.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_object_under_the_same_name_is_not_the_registrys_own()
    {
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("uid-check", ProvisioningScenario.UniqueNamespace("uid")));
        var ready = await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        using var kubernetes = _scenario.Kubernetes();
        var live = JsonSerializer.Deserialize<QuayRegistryResource>(JsonSerializer.Serialize(
            await kubernetes.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, created.Namespace, Plural, created.Name)))!;
        Assert.Equal(live.Metadata.Uid, await gateway.WithDbAsync(db => db.Registries.Where(r => r.Id == created.Id).Select(r => r.QuayRegistryUid).SingleAsync()));

        // Same cluster, namespace, name and annotation, newer, unavailable, pointing elsewhere: but another uid.
        var other = JsonSerializer.Deserialize<QuayRegistryResource>(JsonSerializer.Serialize(live))!;
        other.Metadata.Uid = Guid.NewGuid().ToString();
        other.Metadata.ResourceVersion = (ulong.Parse(live.Metadata.ResourceVersion!) + 1_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        other.Status!["registryEndpoint"] = "https://listener.attacker.example";
        foreach (var condition in other.Status["conditions"]!.AsArray().Select(c => c!.AsObject()).Where(c => (string?)c["type"] == "Available"))
        {
            condition["status"] = "False";
        }

        await using (var scope = gateway.Host.Services.CreateAsyncScope())
        {
            var router = scope.ServiceProvider.GetRequiredService<WatchEventRouter>();
            await router.ObserveAsync("sandbox", $"{created.Namespace}/{created.Name}", WatchEventType.Modified, other, null, CancellationToken.None);
            await router.ObserveAsync("sandbox", $"{created.Namespace}/{created.Name}", WatchEventType.Deleted, other, null, CancellationToken.None);
        }

        var after = await _scenario.GetAsync(created.Id);
        Assert.Equal(RegistryState.Ready, after.State);
        Assert.Equal(ready.RegistryEndpoint, after.RegistryEndpoint);
        Assert.Equal(ready.Generation, after.Generation);
    }

    [Fact]
    public async Task A_delete_removes_the_registrys_own_objects()
    {
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("own-objects", ProvisioningScenario.UniqueNamespace("own"),
            ConfigBundle: new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\n" }));
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        using var kubernetes = _scenario.Kubernetes();
        var secret = await kubernetes.CoreV1.ReadNamespacedSecretAsync("own-objects-config-bundle", created.Namespace);
        Assert.Equal(created.Id.ToString(), secret.Metadata.Annotations[ClusterClient.RegistryIdAnnotation]);

        await DeleteAndWaitAsync(created.Id);

        var gone = await Assert.ThrowsAsync<k8s.Autorest.HttpOperationException>(() =>
            kubernetes.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, created.Namespace, Plural, created.Name));
        Assert.Equal(HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    private async Task DeleteAndWaitAsync(Guid id)
    {
        using var deleted = await _scenario.Client.DeleteAsync($"/v1/registries/{id}");
        Assert.Equal(HttpStatusCode.Accepted, deleted.StatusCode);
        await _scenario.WaitForAsync(id, RegistryState.Deleted);
    }

    /// <summary>The object as another actor made it: no annotation, label or field of the gateway's was added.</summary>
    private static void AssertUntouched(JsonNode before, JsonNode after)
    {
        Assert.Equal((string?)before["metadata"]!["uid"], (string?)after["metadata"]!["uid"]);
        Assert.Null(after["metadata"]!["annotations"]?[ClusterClient.RegistryIdAnnotation]);
        Assert.Null(after["metadata"]!["labels"]?[ClusterClient.ManagedByLabel]);
        Assert.DoesNotContain(after["metadata"]!["managedFields"]?.AsArray() ?? [], f => (string?)f?["manager"] == ClusterClient.FieldManager);
        Assert.Equal(before["spec"]?["configBundleSecret"]?.ToJsonString(), after["spec"]?["configBundleSecret"]?.ToJsonString());
    }

    private static async Task AssertSecretUntouchedAsync(Kubernetes kubernetes, V1Secret before)
    {
        var now = await kubernetes.CoreV1.ReadNamespacedSecretAsync(before.Metadata.Name, before.Metadata.NamespaceProperty);
        Assert.Equal(before.Metadata.Uid, now.Metadata.Uid);
        Assert.Equal(before.Metadata.ResourceVersion, now.Metadata.ResourceVersion); // not written since, by anyone
        Assert.False(now.Metadata.Annotations?.ContainsKey(ClusterClient.RegistryIdAnnotation) ?? false);
        Assert.Null(now.Metadata.DeletionTimestamp);
    }

    private static Dictionary<string, object?> QuayRegistry(string name, Dictionary<string, string>? annotations) => new()
    {
        ["apiVersion"] = $"{Group}/{Version}",
        ["kind"] = QuayRegistryResource.ResourceKind,
        ["metadata"] = new Dictionary<string, object?>
        {
            ["name"] = name,
            ["annotations"] = annotations,
            // Copying the label puts it in the gateway's list and watch too: what the watch must see through.
            ["labels"] = annotations is null ? null : new Dictionary<string, string> { [ClusterClient.ManagedByLabel] = ClusterClient.FieldManager },
        },
        ["spec"] = new Dictionary<string, object>(),
    };

    private static async Task<JsonNode> ReadAsync(Kubernetes kubernetes, string ns, string name) =>
        JsonNode.Parse(JsonSerializer.Serialize(await kubernetes.CustomObjects.GetNamespacedCustomObjectAsync(Group, Version, ns, Plural, name)))!;

    private static async Task CreateNamespaceAsync(Kubernetes kubernetes, string ns)
    {
        try
        {
            await kubernetes.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // exists already
        }
    }

    private async Task<long> ForeignObjectsCountedAsync()
    {
        var text = await gateway.Client(apiKey: null).GetStringAsync("/metrics");
        return text.Split('\n').Where(l => l.StartsWith("quaygateway_foreign_objects_total", StringComparison.Ordinal))
            .Sum(l => long.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
