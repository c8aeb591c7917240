using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace QuayGateway.Tests.Sandbox.Kubernetes;

/// <summary>Injected Kubernetes API faults, from code and through <c>/sandbox/faults</c>, and the request counter.</summary>
[Collection(SandboxCollection.Name)]
public sealed class FaultTests(SandboxFixture sandbox) : IDisposable
{
    public void Dispose() => sandbox.Cluster.Faults.Reset();

    [Fact]
    public async Task An_error_rate_of_one_fails_every_request_with_a_500_Status()
    {
        var ns = sandbox.NewNamespace();
        sandbox.Cluster.Faults.ApiErrorRate = 1;
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => sandbox.Client.CoreV1.ListNamespacedSecretAsync(ns));
        Assert.Equal(HttpStatusCode.InternalServerError, e.Response.StatusCode);
        var status = JsonNode.Parse(e.Response.Content)!;
        Assert.Equal("InternalError", status["reason"]!.GetValue<string>());

        // Discovery is not an API call the faults hit.
        using var http = sandbox.Http();
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/apis")).StatusCode);
    }

    [Fact]
    public async Task A_429_carries_Retry_After_and_errors_can_target_one_verb()
    {
        var ns = sandbox.NewNamespace();
        sandbox.Cluster.Store.Create("secrets", ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "s" } });
        var faults = sandbox.Cluster.Faults;
        (faults.ApiErrorRate, faults.ApiErrorStatusCode, faults.RetryAfterSeconds, faults.ApiErrorVerbs) = (1, 429, 3, new HashSet<string> { "list" });

        using var http = sandbox.Http();
        var list = await http.GetAsync($"/api/v1/namespaces/{ns}/secrets");
        Assert.Equal(HttpStatusCode.TooManyRequests, list.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(3), list.Headers.RetryAfter?.Delta);
        var status = JsonNode.Parse(await list.Content.ReadAsStringAsync())!;
        Assert.Equal(("TooManyRequests", 3), (status["reason"]!.GetValue<string>(), status["details"]!["retryAfterSeconds"]!.GetValue<int>()));

        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync($"/api/v1/namespaces/{ns}/secrets/s")).StatusCode);
    }

    [Fact]
    public async Task A_partial_error_rate_fails_about_that_share_of_requests()
    {
        var ns = sandbox.NewNamespace();
        sandbox.Cluster.Faults.ApiErrorRate = 0.5;
        using var http = sandbox.Http();
        var failures = 0;
        for (var i = 0; i < 200; i++)
        {
            if ((await http.GetAsync($"/api/v1/namespaces/{ns}/pods")).StatusCode == HttpStatusCode.InternalServerError) failures++;
        }
        Assert.InRange(failures, 60, 140);
    }

    [Fact]
    public async Task Latency_delays_every_request()
    {
        var ns = sandbox.NewNamespace();
        sandbox.Cluster.Faults.ApiLatency = TimeSpan.FromMilliseconds(300);
        var watch = Stopwatch.StartNew();
        await sandbox.Client.CoreV1.ListNamespacedPodAsync(ns);
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(290), $"took {watch.Elapsed}");
    }

    [Fact]
    public async Task The_admin_API_sets_reads_and_resets_faults()
    {
        using var http = sandbox.Http();
        var put = await http.PutAsJsonAsync("/sandbox/faults", new { apiErrorRate = 0.25, apiErrorStatusCode = 429, apiErrorVerbs = new[] { "watch" }, apiLatencyMs = 20 });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        var faults = sandbox.Cluster.Faults;
        Assert.Equal((0.25, 429, TimeSpan.FromMilliseconds(20)), (faults.ApiErrorRate, faults.ApiErrorStatusCode, faults.ApiLatency));
        Assert.Equal(["watch"], faults.ApiErrorVerbs!);

        var current = JsonNode.Parse(await http.GetStringAsync("/sandbox/faults"))!;
        Assert.Equal(0.25, current["apiErrorRate"]!.GetValue<double>());

        var invalid = await http.PutAsJsonAsync("/sandbox/faults", new { apiErrorRate = 2.0 });
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await http.PostAsync("/sandbox/faults/expire-next-watches?count=1", null)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.DeleteAsync("/sandbox/faults")).StatusCode);
        Assert.Equal(0, faults.ApiErrorRate);

        Assert.Equal(HttpStatusCode.NoContent, (await http.PostAsync("/sandbox/faults/expire-next-watches?count=1", null)).StatusCode);
        var ns = sandbox.NewNamespace();
        var watch = await http.GetStringAsync($"/api/v1/namespaces/{ns}/pods?watch=true&resourceVersion={sandbox.Cluster.Store.CurrentResourceVersion}");
        var error = JsonNode.Parse(watch.Trim())!;
        Assert.Equal(("ERROR", 410), (error["type"]!.GetValue<string>(), error["object"]!["code"]!.GetValue<int>()));
    }

    [Fact]
    public async Task The_request_counter_counts_by_verb_and_resource()
    {
        var ns = sandbox.NewNamespace();
        var requests = sandbox.Cluster.Requests;
        requests.Reset();
        await sandbox.Client.CustomObjects.CreateNamespacedCustomObjectAsync(KubernetesApiTests.Registry("r"), KubernetesApiTests.Group, KubernetesApiTests.Version, ns, KubernetesApiTests.Plural);
        await sandbox.Client.CustomObjects.GetNamespacedCustomObjectAsync(KubernetesApiTests.Group, KubernetesApiTests.Version, ns, KubernetesApiTests.Plural, "r");
        await sandbox.Client.CustomObjects.GetNamespacedCustomObjectAsync(KubernetesApiTests.Group, KubernetesApiTests.Version, ns, KubernetesApiTests.Plural, "r");
        await sandbox.Client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch("""{"status":{"currentVersion":"3.16.2"}}""", V1Patch.PatchType.MergePatch),
            KubernetesApiTests.Group, KubernetesApiTests.Version, ns, KubernetesApiTests.Plural, "r");
        await sandbox.Client.CoreV1.ListNamespacedPodAsync(ns);

        Assert.Equal((1, 2, 1, 1), (requests.Count("create", "quayregistries"), requests.Count("get", "quayregistries"),
            requests.Count("patch", "quayregistries/status"), requests.Count("list", "pods")));
        Assert.Equal(5, requests.Total);
        requests.Reset();
        Assert.Equal(0, requests.Total);
    }

    [Fact]
    public async Task The_admin_API_reports_the_request_counts()
    {
        var ns = sandbox.NewNamespace();
        using var http = sandbox.Http();
        var before = await http.GetFromJsonAsync<Dictionary<string, long>>("/sandbox/requests");
        await sandbox.Client.CoreV1.ListNamespacedPodAsync(ns);
        await sandbox.Client.CoreV1.ListNamespacedPodAsync(ns);
        var after = await http.GetFromJsonAsync<Dictionary<string, long>>("/sandbox/requests");

        Assert.Equal(2, after!["list pods"] - before!.GetValueOrDefault("list pods"));
        Assert.Equal(sandbox.Cluster.Requests.Count("list", "pods"), after["list pods"]);
    }
}
