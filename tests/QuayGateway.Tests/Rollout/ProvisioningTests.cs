using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Rollout;

/// <summary>The source document's requests, end to end: gateway → Hangfire → sandbox cluster (real HTTP) → PostgreSQL.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ProvisioningTests(GatewayFixture gateway)
{
    private readonly ProvisioningScenario _scenario = new(gateway);

    [Fact]
    public async Task The_minimal_request_reaches_ready_with_every_component_and_the_default_hpas()
    {
        var ns = ProvisioningScenario.UniqueNamespace("minimal");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns));

        var ready = await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        Assert.Equal(RegistryHealth.Healthy, ready.Health);
        Assert.Equal($"https://example-registry-quay-{ns}.apps.sandbox.quaygateway.local", ready.RegistryEndpoint);
        Assert.NotNull(ready.CurrentVersion);
        Assert.Equal(ready.Generation, ready.ObservedGeneration);

        var status = await _scenario.Read<RegistryStatusResponse>($"/v1/registries/{created.Id}/status");
        Assert.Contains(status.Conditions.OfType<JsonObject>(), c => (string?)c["type"] == "Available" && (string?)c["status"] == "True"
                                                                    && (string?)c["reason"] == "HealthChecksPassing");
        Assert.Contains(status.Conditions.OfType<JsonObject>(), c => (string?)c["type"] == "ComponentClairReady");
        Assert.NotNull(status.LastUpdated);
        // The operator's Go-format time, answered in ISO 8601 like every other time. It is the cluster's clock, which
        // the credential tests move ahead on the shared sandbox.
        var clusterAhead = _scenario.Sandbox().Quay.Clock.Offset;
        Assert.InRange(status.LastUpdated.Value, status.Rollout.StartedAt!.Value.AddMinutes(-1), DateTimeOffset.UtcNow.Add(clusterAhead).AddMinutes(1));
        Assert.NotNull(status.Rollout.StartedAt);
        Assert.NotNull(status.Rollout.AvailableAt);
        Assert.True(status.Rollout.DurationSeconds > 0);
        Assert.Empty(status.UnhealthyComponents);

        var components = await _scenario.ComponentsAsync(created.Id, c => c["mirror"].Hpa is not null && c["quay"].Jobs.Any(j => j.Status == "Complete")
                                                                          && c.Values.SelectMany(v => v.Pods).All(p => p.Status is "Running" or "Completed"));
        Assert.Equal(2, components["quay"].Pods.Count(p => p.Name.StartsWith("example-registry-quay-app-", StringComparison.Ordinal)
                                                           && !p.Name.Contains("upgrade", StringComparison.Ordinal)));
        Assert.Equal(2, components["clair"].Pods.Count);
        Assert.Equal(2, components["mirror"].Pods.Count);
        Assert.Single(components["postgres"].Pods);
        Assert.Single(components["redis"].Pods);
        Assert.Single(components["clairpostgres"].Pods);
        Assert.All(components.Values.SelectMany(c => c.Pods).Where(p => !p.Name.Contains("upgrade", StringComparison.Ordinal)),
            p => Assert.Equal(("1/1", "Running"), (p.Ready, p.Status)));
        Assert.Contains(components["quay"].Jobs, j => j.Name == "example-registry-quay-app-upgrade" && j.Status == "Complete");
        Assert.Equal((2, 20), (components["quay"].Hpa!.MinPods, components["quay"].Hpa!.MaxPods));
        Assert.Equal((2, 10), (components["clair"].Hpa!.MinPods, components["clair"].Hpa!.MaxPods));
        Assert.Equal((2, 20), (components["mirror"].Hpa!.MinPods, components["mirror"].Hpa!.MaxPods));
        Assert.Equal("Deployment/example-registry-quay-app", components["quay"].Hpa!.Reference);
        Assert.Matches(@"^\d+%/90%, \d+%/90%$", components["quay"].Hpa!.Targets);
        Assert.True(components["clair"].Managed);
        Assert.Equal("True", components["clair"].Condition?.Status);
    }

    [Fact]
    public async Task Unmanaged_clair_hpa_mirror_and_monitoring_get_no_objects()
    {
        var ns = ProvisioningScenario.UniqueNamespace("unmanaged");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns,
            Components: [new("clair", false), new("horizontalpodautoscaler", false), new("mirror", false), new("monitoring", false)]));

        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        var components = await _scenario.ComponentsAsync(created.Id, c => c["quay"].Pods.Count > 0);
        Assert.False(components["clair"].Managed);
        Assert.Empty(components["clair"].Pods);
        Assert.Empty(components["mirror"].Pods);
        Assert.All(components.Values, c => Assert.Null(c.Hpa));
        Assert.NotEmpty(components["quay"].Pods);
        Assert.Equal("ComponentNotManaged", components["clair"].Condition?.Reason);
    }

    [Fact]
    public async Task A_named_config_bundle_secret_is_used_as_is()
    {
        var ns = ProvisioningScenario.UniqueNamespace("bundle");
        await _scenario.CreateSecretAsync(ns, "init-config-bundle-secret", "FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns, ConfigBundleSecret: "init-config-bundle-secret"));

        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        var manifest = await _scenario.Read<ManifestResponse>($"/v1/registries/{created.Id}/manifest");
        Assert.Equal("init-config-bundle-secret", (string?)manifest.Live!["spec"]!["configBundleSecret"]);
        Assert.Equal("init-config-bundle-secret", (string?)manifest.Applied!["spec"]!["configBundleSecret"]);
    }

    [Fact]
    public async Task The_operators_write_backs_are_not_fought_over()
    {
        var ns = ProvisioningScenario.UniqueNamespace("writeback");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns, Components: [new("clair", false)]));
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);

        var live = (await _scenario.Read<ManifestResponse>($"/v1/registries/{created.Id}/manifest")).Live!;
        // Every kind written back, a generated bundle, and the finalizer.
        Assert.Equal(11, live["spec"]!["components"]!.AsArray().Count);
        Assert.StartsWith("example-registry-config-bundle-", (string?)live["spec"]!["configBundleSecret"], StringComparison.Ordinal);
        Assert.Contains("quay-operator/finalizer", live["metadata"]!["finalizers"]!.AsArray().Select(f => (string?)f));
        var generation = (long)live["metadata"]!["generation"]!;

        // A re-apply (retry path, resync, restart) keeps them and starts no new generation.
        await using (var scope = gateway.Host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<QuayGateway.Persistence.GatewayDb>();
            var registry = await db.Registries.SingleAsync(r => r.Id == created.Id);
            registry.SpecVersion++;
            await db.SaveChangesAsync();
            await scope.ServiceProvider.GetRequiredService<QuayGateway.Jobs.IApplyRegistryJob>().RunAsync(created.Id, CancellationToken.None);
        }

        var after = (await _scenario.Read<ManifestResponse>($"/v1/registries/{created.Id}/manifest")).Live!;
        Assert.Equal(generation, (long)after["metadata"]!["generation"]!);
        Assert.Equal(live["spec"]!.ToJsonString(), after["spec"]!.ToJsonString());
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
    }

    [Fact]
    public async Task A_missing_named_bundle_secret_blocks_until_it_exists_and_a_retry()
    {
        var ns = ProvisioningScenario.UniqueNamespace("nosecret");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns, ConfigBundleSecret: "not-yet-there"));

        var blocked = await _scenario.WaitForAsync(created.Id, RegistryState.Blocked);
        Assert.Contains(blocked.Conditions, c => c.Reason == "ConfigBundleSecretNotFound");

        await _scenario.CreateSecretAsync(ns, "not-yet-there", "FEATURE_USER_INITIALIZE: true\n");
        using var retry = await _scenario.Client.PostAsync($"/v1/registries/{created.Id}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);

        using var again = await _scenario.Client.PostAsync($"/v1/registries/{created.Id}/retry", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Theory]
    [InlineData("postgres", false, "FEATURE_USER_INITIALIZE: true\n", "required component `postgres` marked as unmanaged")]
    [InlineData("postgres", true, "DB_URI: postgresql://quay:pw@db/quay\n", "postgres component marked as managed")]
    [InlineData("objectstorage", false, "{}\n", "required component `objectstorage` marked as unmanaged")]
    public async Task Operator_blocked_rollouts_carry_the_operators_reason_and_message(string kind, bool managed, string config, string message)
    {
        var ns = ProvisioningScenario.UniqueNamespace("blocked");
        await _scenario.CreateSecretAsync(ns, "external-bundle", config);
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns,
            Components: [new(kind, managed)], ConfigBundleSecret: "external-bundle"));

        var blocked = await _scenario.WaitForAsync(created.Id, RegistryState.Blocked);
        Assert.Equal(RegistryHealth.Degraded, blocked.Health);
        var status = await _scenario.Read<RegistryStatusResponse>($"/v1/registries/{created.Id}/status");
        var rolloutBlocked = status.Conditions.OfType<JsonObject>().Single(c => (string?)c["type"] == "RolloutBlocked");
        Assert.Equal("True", (string?)rolloutBlocked["status"]);
        Assert.Equal("ConfigInvalid", (string?)rolloutBlocked["reason"]);
        Assert.Contains(message, (string?)rolloutBlocked["message"], StringComparison.Ordinal);
        Assert.Contains(blocked.Conditions, c => c.Type == "Available" && c.Reason == "ConfigInvalid" && c.Message.Contains(message, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Patch_with_if_match_rolls_out_a_new_generation_and_a_stale_etag_is_412()
    {
        var ns = ProvisioningScenario.UniqueNamespace("patch");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns));
        var ready = await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        using var get = await _scenario.Client.GetAsync($"/v1/registries/{created.Id}");
        var etag = get.Headers.ETag!;

        using var stale = new HttpRequestMessage(HttpMethod.Patch, $"/v1/registries/{created.Id}")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new PatchRegistryRequest(Components: [new("mirror", false)])),
        };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await _scenario.Client.SendAsync(stale)).StatusCode);

        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/v1/registries/{created.Id}")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new PatchRegistryRequest(Components: [new("mirror", false)])),
        };
        patch.Headers.IfMatch.Add(etag);
        using var accepted = await _scenario.Client.SendAsync(patch);
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);

        using var second = new HttpRequestMessage(HttpMethod.Patch, $"/v1/registries/{created.Id}")
        {
            Content = System.Net.Http.Json.JsonContent.Create(new PatchRegistryRequest(Components: [new("clair", false)])),
        };
        var conflict = await _scenario.Client.SendAsync(second);
        // Either the first change still runs (409) or it is already done (then this is a valid new change).
        Assert.True(conflict.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.Accepted);

        var after = await GatewayFixture.EventuallyAsync(() => _scenario.GetAsync(created.Id),
            r => r.State == RegistryState.Ready && r.Generation > ready.Generation && r.ObservedGeneration == r.Generation, TimeSpan.FromSeconds(45));
        Assert.True(after.Generation > ready.Generation);
        var components = await _scenario.ComponentsAsync(created.Id, c => c["mirror"].Pods.Count == 0);
        Assert.False(components["mirror"].Managed);
        Assert.Empty(components["mirror"].Pods);
    }

    [Fact]
    public async Task Delete_removes_what_the_gateway_created_and_only_that()
    {
        var ns = ProvisioningScenario.UniqueNamespace("delete");
        var first = await _scenario.CreateAsync(new CreateRegistryRequest("first", ns,
            ConfigBundle: new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\n" }));
        var second = await _scenario.CreateAsync(new CreateRegistryRequest("second", ns));
        await _scenario.WaitForAsync(first.Id, RegistryState.Ready);
        await _scenario.WaitForAsync(second.Id, RegistryState.Ready);
        using var kubernetes = _scenario.Kubernetes();
        Assert.NotNull(await kubernetes.CoreV1.ReadNamespacedSecretAsync("first-config-bundle", ns));

        using (var delete = await _scenario.Client.DeleteAsync($"/v1/registries/{first.Id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
            Assert.Equal(RegistryState.Deleting, (await delete.ReadAsync<RegistryResponse>()).State);
        }

        using (var again = await _scenario.Client.DeleteAsync($"/v1/registries/{first.Id}"))
        {
            Assert.True(again.StatusCode == HttpStatusCode.Conflict);
        }

        await _scenario.WaitForAsync(first.Id, RegistryState.Deleted);
        var secrets = await kubernetes.CoreV1.ListNamespacedSecretAsync(ns);
        Assert.DoesNotContain(secrets.Items, s => s.Metadata.Name == "first-config-bundle");
        Assert.NotNull(await kubernetes.CoreV1.ReadNamespaceAsync(ns)); // the second registry still lives there

        using (var delete = await _scenario.Client.DeleteAsync($"/v1/registries/{second.Id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }

        await _scenario.WaitForAsync(second.Id, RegistryState.Deleted);
        var namespaces = await kubernetes.CoreV1.ListNamespaceAsync();
        Assert.DoesNotContain(namespaces.Items, n => n.Metadata.Name == ns && n.Metadata.DeletionTimestamp is null);
        var timeline = await _scenario.TimelineAsync(second.Id);
        Assert.Equal([RegistryState.Deleting, RegistryState.Deleted], timeline.Where(e => e.Type == TimelineEntryType.StateChanged).Select(e => e.State).TakeLast(2));
    }

    [Fact]
    public async Task A_namespace_the_gateway_did_not_create_is_kept()
    {
        var ns = ProvisioningScenario.UniqueNamespace("keepns");
        await _scenario.CreateSecretAsync(ns, "unrelated", "{}\n");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns));
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);

        await _scenario.Client.DeleteAsync($"/v1/registries/{created.Id}");
        await _scenario.WaitForAsync(created.Id, RegistryState.Deleted);

        using var kubernetes = _scenario.Kubernetes();
        Assert.NotNull(await kubernetes.CoreV1.ReadNamespaceAsync(ns));
    }

    [Fact]
    public async Task An_out_of_band_delete_is_recorded_as_drift_and_repaired()
    {
        var ns = ProvisioningScenario.UniqueNamespace("oob");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns));
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);

        using var kubernetes = _scenario.Kubernetes();
        await kubernetes.CustomObjects.DeleteNamespacedCustomObjectAsync("quay.redhat.com", "v1", ns, "quayregistries", "example-registry");

        var timeline = await GatewayFixture.EventuallyAsync(() => _scenario.TimelineAsync(created.Id),
            t => t.Any(e => e.Type == TimelineEntryType.Drift));
        Assert.Contains(timeline, e => e is { Type: TimelineEntryType.Drift, Reason: "QuayRegistryMissing" });
        await GatewayFixture.EventuallyAsync(() => _scenario.GetAsync(created.Id),
            r => r.State == RegistryState.Ready && timeline.Count < 1000, TimeSpan.FromSeconds(45));
        Assert.NotNull(await kubernetes.CustomObjects.GetNamespacedCustomObjectAsync("quay.redhat.com", "v1", ns, "quayregistries", "example-registry"));
        Assert.Equal(RegistryState.Ready, (await _scenario.GetAsync(created.Id)).State);
    }

    [Fact]
    public async Task An_out_of_band_edit_of_the_gateways_fields_is_recorded_and_reverted()
    {
        var ns = ProvisioningScenario.UniqueNamespace("edit");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns, Components: [new("mirror", false)]));
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);

        using var kubernetes = _scenario.Kubernetes();
        var live = (await _scenario.Read<ManifestResponse>($"/v1/registries/{created.Id}/manifest")).Live!;
        var components = live["spec"]!["components"]!.AsArray();
        foreach (var c in components.OfType<JsonObject>().Where(c => (string?)c["kind"] == "mirror"))
        {
            c["managed"] = true;
        }

        await kubernetes.CustomObjects.PatchNamespacedCustomObjectAsync(
            new k8s.Models.V1Patch(new JsonObject { ["spec"] = new JsonObject { ["components"] = components.DeepClone() } }.ToJsonString(), k8s.Models.V1Patch.PatchType.MergePatch),
            "quay.redhat.com", "v1", ns, "quayregistries", "example-registry");

        var timeline = await GatewayFixture.EventuallyAsync(() => _scenario.TimelineAsync(created.Id),
            t => t.Any(e => e is { Type: TimelineEntryType.Drift, Reason: "SpecEdited" }));
        Assert.Contains(timeline, e => e is { Type: TimelineEntryType.Drift, Reason: "SpecEdited" } && e.Message!.Contains("mirror", StringComparison.Ordinal));
        var reverted = await GatewayFixture.EventuallyAsync(
            async () => (await _scenario.Read<ManifestResponse>($"/v1/registries/{created.Id}/manifest")).Live!,
            l => l["spec"]!["components"]!.AsArray().OfType<JsonObject>().Any(c => (string?)c["kind"] == "mirror" && (bool?)c["managed"] == false));
        Assert.Contains(reverted["spec"]!["components"]!.AsArray().OfType<JsonObject>(), c => (string?)c["kind"] == "mirror" && (bool?)c["managed"] == false);
    }

    [Fact]
    public async Task The_timeline_records_state_changes_and_operator_condition_transitions()
    {
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ProvisioningScenario.UniqueNamespace("timeline")));
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);

        var timeline = await _scenario.TimelineAsync(created.Id);
        Assert.Equal([RegistryState.Accepted, RegistryState.Applying, RegistryState.Progressing, RegistryState.Available, RegistryState.Ready],
            timeline.Where(e => e.Type == TimelineEntryType.StateChanged).Select(e => e.State));
        // The sandbox's ComponentsCreated=False lasts one 150 ms phase, and the watch queue keeps only a registry's
        // latest status (by design, so a busy fleet writes once per registry): under load the next status replaces it
        // before it is written. Either value shows the condition's transitions reach the timeline.
        Assert.Contains(timeline, e => e.Type == TimelineEntryType.ConditionChanged && e.Message!.StartsWith("ComponentsCreated=", StringComparison.Ordinal));
        Assert.Contains(timeline, e => e.Type == TimelineEntryType.ConditionChanged && e.Message!.StartsWith("Available=True", StringComparison.Ordinal));
        Assert.Equal(timeline.OrderBy(e => e.Id).Select(e => e.Id), timeline.Select(e => e.Id));
    }

    [Fact]
    public async Task The_event_stream_sends_the_timeline_as_server_sent_events()
    {
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ProvisioningScenario.UniqueNamespace("sse")));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/registries/{created.Id}/events");
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        using var response = await gateway.Client().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);

        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var states = new List<string>();
        while (!states.Contains("\"state\":\"Ready\"") && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith("data: ", StringComparison.Ordinal) && line.Contains("\"type\":\"StateChanged\"", StringComparison.Ordinal))
            {
                states.Add(System.Text.RegularExpressions.Regex.Match(line, "\"state\":\"[A-Za-z]+\"").Value);
            }
        }

        Assert.Equal(["\"state\":\"Accepted\"", "\"state\":\"Applying\"", "\"state\":\"Progressing\"", "\"state\":\"Available\"", "\"state\":\"Ready\""], states);
    }

    [Fact]
    public async Task Fleet_status_counts_by_state_and_health_and_lists_the_unhealthy()
    {
        var client = gateway.Client(await gateway.CreateKeyAsync("fleet", QuayGateway.Security.Scopes.RegistriesRead, QuayGateway.Security.Scopes.RegistriesWrite));
        var ns = ProvisioningScenario.UniqueNamespace("fleet");
        using (var ok = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("healthy", ns)))
        using (var bad = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("stuck", ns, ConfigBundleSecret: "missing-secret")))
        {
            Assert.Equal(HttpStatusCode.Accepted, ok.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, bad.StatusCode);
        }

        var fleet = await GatewayFixture.EventuallyAsync(async () => await (await client.GetAsync("/v1/status")).ReadAsync<FleetStatusResponse>(),
            f => f.ByState["Ready"] == 1 && f.ByState["Blocked"] == 1);
        Assert.Equal(2, fleet.Total);
        Assert.Equal(1, fleet.ByHealth["Healthy"]);
        var unhealthy = Assert.Single(fleet.Unhealthy);
        Assert.Equal("stuck", unhealthy.Name);
    }

    [Fact]
    public async Task Clusters_lists_both_sandboxes_as_reachable()
    {
        var clusters = await _scenario.Read<List<QuayGateway.Rollout.ClusterView>>("/v1/clusters");

        Assert.Equal(["edge", "sandbox"], clusters.Select(c => c.Name));
        Assert.All(clusters, c => Assert.True(c.Reachable, c.Error));
        Assert.True(clusters.Single(c => c.Name == "sandbox").IsDefault);
        Assert.All(clusters, c => Assert.Equal("sandbox", c.Kind));
    }

    [Fact]
    public async Task Requests_reach_the_cluster_they_name_and_3_6_status_is_read()
    {
        var ns = ProvisioningScenario.UniqueNamespace("edge");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns, Cluster: "edge"));

        var ready = await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        Assert.Equal("edge", ready.Cluster);
        Assert.Null(ready.ObservedGeneration); // the 3.6 operator does not report it
        using var edge = _scenario.Kubernetes("edge");
        using var main = _scenario.Kubernetes("sandbox");
        Assert.NotNull(await edge.CustomObjects.GetNamespacedCustomObjectAsync("quay.redhat.com", "v1", ns, "quayregistries", "example-registry"));
        var onMain = await main.CustomObjects.ListNamespacedCustomObjectAsync("quay.redhat.com", "v1", ns, "quayregistries");
        Assert.Empty(((System.Text.Json.JsonElement)onMain).GetProperty("items").EnumerateArray());

        var status = await _scenario.Read<RegistryStatusResponse>($"/v1/registries/{created.Id}/status");
        var liveStatus = (await _scenario.Read<ManifestResponse>($"/v1/registries/{created.Id}/manifest")).Live!["status"]!;
        Assert.True(status.ConfigEditorEndpoint is not null, liveStatus.ToJsonString());
        Assert.Equal($"https://example-registry-quay-config-editor-{ns}.apps.sandbox.quaygateway.local", status.ConfigEditorEndpoint);
        Assert.Contains(status.Conditions.OfType<JsonObject>(), c => (string?)c["type"] == "Available" && (string?)c["message"] == "all registry component healthchecks passing");
        var components = (await _scenario.Read<ComponentsResponse>($"/v1/registries/{created.Id}/components")).Components.ToDictionary(c => c.Kind);
        Assert.Contains(components["quay"].Pods, p => p.Name.StartsWith("example-registry-quay-config-editor-", StringComparison.Ordinal));
    }
}
