using System.Net;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using k8s;
using k8s.Autorest;
using k8s.Models;
using QuayGateway.Sandbox.Kubernetes;

namespace QuayGateway.Tests.Sandbox.Kubernetes;

/// <summary>Watch semantics through KubernetesClient's own watcher: resume, bookmarks, 410 Gone, dropped watches.</summary>
[Collection(SandboxCollection.Name)]
public sealed class WatchTests(SandboxFixture sandbox)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    /// <summary>Collects what a watcher reports: events, the error, the close.</summary>
    private sealed class Observed : IDisposable
    {
        public Channel<(WatchEventType Type, JsonObject Object)> Events { get; } = Channel.CreateUnbounded<(WatchEventType, JsonObject)>();
        public TaskCompletionSource<Exception> Error { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public Watcher<object>? Watcher { get; set; }

        public void OnEvent(WatchEventType type, object item) => Events.Writer.TryWrite((type, SandboxFixture.ToJson(item)));

        public async Task<(WatchEventType Type, JsonObject Object)> Next(bool skipBookmarks = true)
        {
            using var timeout = new CancellationTokenSource(Patience);
            try
            {
                while (true)
                {
                    var e = await Events.Reader.ReadAsync(timeout.Token);
                    if (!skipBookmarks || e.Type != WatchEventType.Bookmark) return e;
                }
            }
            catch (OperationCanceledException)
            {
                var state = Error.Task.IsCompleted ? $"error: {Error.Task.Result}" : Closed.Task.IsCompleted ? "closed" : "still open";
                throw new TimeoutException($"no watch event within {Patience.TotalSeconds} s; the watch is {state}");
            }
        }

        public void Dispose() => Watcher?.Dispose();
    }

    private Observed WatchRegistries(string ns, string? resourceVersion, bool bookmarks = false, int? timeoutSeconds = null)
    {
        var observed = new Observed();
        observed.Watcher = sandbox.Client.CustomObjects.WatchListNamespacedCustomObject(
            KubernetesApiTests.Group, KubernetesApiTests.Version, ns, KubernetesApiTests.Plural,
            resourceVersion: resourceVersion, allowWatchBookmarks: bookmarks, timeoutSeconds: timeoutSeconds,
            onEvent: observed.OnEvent, onError: e => observed.Error.TrySetResult(e), onClosed: () => observed.Closed.TrySetResult());
        return observed;
    }

    private JsonObject Create(string ns, string name) =>
        sandbox.Cluster.Store.Create("quayregistries", ns, KubernetesApiTests.Registry(name));

    private static string Rv(long revision) => revision.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_watch_resumes_exactly_after_the_given_resourceVersion()
    {
        var ns = sandbox.NewNamespace();
        var store = sandbox.Cluster.Store;
        Create(ns, "a");
        var resumeFrom = store.CurrentResourceVersion;
        Create(ns, "b");
        store.MergePatch("quayregistries", ns, "a", JsonNode.Parse("""{"spec":{"configBundleSecret":"x"}}""")!);
        store.Delete("quayregistries", ns, "b");

        using var watch = WatchRegistries(ns, Rv(resumeFrom));
        var events = new[] { await watch.Next(), await watch.Next(), await watch.Next() };
        Assert.Equal([(WatchEventType.Added, "b"), (WatchEventType.Modified, "a"), (WatchEventType.Deleted, "b")], events.Select(e => (e.Type, e.Object.Name()!)));
        Assert.Equal("x", events[1].Object["spec"]!["configBundleSecret"]!.GetValue<string>());

        store.MergePatch("quayregistries", ns, "a", JsonNode.Parse("""{"spec":{"configBundleSecret":"y"}}""")!);
        var live = await watch.Next();
        Assert.Equal((WatchEventType.Modified, Rv(store.CurrentResourceVersion)), (live.Type, live.Object.ResourceVersion()));
    }

    [Fact]
    public async Task Writes_through_the_API_reach_watches_and_store_subscribers_at_once()
    {
        var ns = sandbox.NewNamespace();
        var subscribed = new TaskCompletionSource<WatchEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var subscription = sandbox.Cluster.Store.Subscribe(e =>
        {
            if (e.Object.Namespace() == ns) subscribed.TrySetResult(e);
        });
        using var watch = WatchRegistries(ns, Rv(sandbox.Cluster.Store.CurrentResourceVersion));

        await sandbox.Client.CustomObjects.CreateNamespacedCustomObjectAsync(KubernetesApiTests.Registry("r"),
            KubernetesApiTests.Group, KubernetesApiTests.Version, ns, KubernetesApiTests.Plural);

        var e = await subscribed.Task.WaitAsync(Patience);
        Assert.Equal(("ADDED", "quayregistries", "r"), (e.Type, e.Resource, e.Object.Name()));
        var watched = await watch.Next();
        Assert.Equal((WatchEventType.Added, "r"), (watched.Type, watched.Object.Name()));
    }

    [Fact]
    public async Task A_watch_without_resourceVersion_starts_with_the_current_objects()
    {
        var ns = sandbox.NewNamespace();
        Create(ns, "existing");
        using var watch = WatchRegistries(ns, resourceVersion: null);
        var first = await watch.Next();
        Assert.Equal((WatchEventType.Added, "existing"), (first.Type, first.Object.Name()));
        Create(ns, "new");
        var second = await watch.Next();
        Assert.Equal((WatchEventType.Added, "new"), (second.Type, second.Object.Name()));
    }

    [Fact]
    public async Task Bookmarks_carry_the_latest_resourceVersion()
    {
        var ns = sandbox.NewNamespace();
        var from = sandbox.Cluster.Store.CurrentResourceVersion;
        using var watch = WatchRegistries(ns, Rv(from), bookmarks: true);
        var bookmark = await watch.Next(skipBookmarks: false);
        Assert.Equal(WatchEventType.Bookmark, bookmark.Type);
        Assert.True(long.Parse(bookmark.Object.ResourceVersion()!, System.Globalization.CultureInfo.InvariantCulture) >= from);
        Assert.Equal("QuayRegistry", bookmark.Object["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_resume_point_older_than_the_history_window_is_410_Gone()
    {
        var ns = sandbox.NewNamespace();
        var old = sandbox.Cluster.Store.CurrentResourceVersion;
        for (var i = 0; i < 260; i++)
        {
            sandbox.Cluster.Store.Create("secrets", ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = $"s{i}" } });
            sandbox.Cluster.Store.Delete("secrets", ns, $"s{i}");
        }

        using var watch = WatchRegistries(ns, Rv(old));
        var error = await watch.Error.Task.WaitAsync(Patience);
        var gone = Assert.IsType<KubernetesException>(error);
        Assert.Equal(410, gone.Status.Code);
        Assert.Equal("Expired", gone.Status.Reason);
        Assert.StartsWith($"too old resource version: {old} (", gone.Status.Message);

        using var http = sandbox.Http();
        var list = await http.GetAsync($"/api/v1/namespaces/{ns}/secrets?resourceVersion={old}&resourceVersionMatch=Exact");
        Assert.Equal(HttpStatusCode.Gone, list.StatusCode);
    }

    [Fact]
    public async Task Faults_force_410_on_the_next_watch_and_close_open_watches()
    {
        var ns = sandbox.NewNamespace();
        sandbox.Cluster.Faults.ExpireNextWatches();
        using (var expired = WatchRegistries(ns, Rv(sandbox.Cluster.Store.CurrentResourceVersion)))
        {
            var error = Assert.IsType<KubernetesException>(await expired.Error.Task.WaitAsync(Patience));
            Assert.Equal(410, error.Status.Code);
        }

        using var open = WatchRegistries(ns, Rv(sandbox.Cluster.Store.CurrentResourceVersion));
        Create(ns, "a");
        Assert.Equal(WatchEventType.Added, (await open.Next()).Type);
        sandbox.Cluster.Faults.CloseWatches();
        await open.Closed.Task.WaitAsync(Patience);
    }

    [Fact]
    public async Task Objects_entering_or_leaving_a_label_selector_are_ADDED_or_DELETED()
    {
        var ns = sandbox.NewNamespace();
        var observed = new Observed();
        using var watcher = sandbox.Client.CoreV1.WatchListNamespacedPod(ns, labelSelector: "quay-component=quay-app",
            resourceVersion: Rv(sandbox.Cluster.Store.CurrentResourceVersion),
            onEvent: observed.OnEvent, onError: e => observed.Error.TrySetResult(e), onClosed: () => observed.Closed.TrySetResult());
        var store = sandbox.Cluster.Store;
        store.Create("pods", ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "p" } });
        store.MergePatch("pods", ns, "p", JsonNode.Parse("""{"metadata":{"labels":{"quay-component":"quay-app"}}}""")!);
        store.MergePatch("pods", ns, "p", JsonNode.Parse("""{"metadata":{"labels":{"extra":"1"}}}""")!);
        store.MergePatch("pods", ns, "p", JsonNode.Parse("""{"metadata":{"labels":{"quay-component":"postgres"}}}""")!);
        Assert.Equal(WatchEventType.Added, (await observed.Next()).Type);
        Assert.Equal(WatchEventType.Modified, (await observed.Next()).Type);
        Assert.Equal(WatchEventType.Deleted, (await observed.Next()).Type);
    }

    [Fact]
    public async Task TimeoutSeconds_ends_the_watch_with_a_final_bookmark()
    {
        var ns = sandbox.NewNamespace();
        using var watch = WatchRegistries(ns, Rv(sandbox.Cluster.Store.CurrentResourceVersion), bookmarks: true, timeoutSeconds: 1);
        await watch.Closed.Task.WaitAsync(Patience);
        Assert.True(watch.Events.Reader.TryRead(out var last));
        Assert.Equal(WatchEventType.Bookmark, last.Type);
    }

    [Fact]
    public async Task An_expired_continue_token_is_410()
    {
        var ns = sandbox.NewNamespace();
        for (var i = 0; i < 3; i++) sandbox.Cluster.Store.Create("secrets", ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = $"s{i}" } });
        var page = await sandbox.Client.CoreV1.ListNamespacedSecretAsync(ns, limit: 1);
        for (var i = 0; i < 260; i++)
        {
            sandbox.Cluster.Store.Create("secrets", ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = $"x{i}" } });
            sandbox.Cluster.Store.Delete("secrets", ns, $"x{i}");
        }
        var e = await Assert.ThrowsAsync<HttpOperationException>(() => sandbox.Client.CoreV1.ListNamespacedSecretAsync(ns, limit: 1, continueParameter: page.Metadata.ContinueProperty));
        Assert.Equal(HttpStatusCode.Gone, e.Response.StatusCode);
        Assert.Contains("The provided continue parameter is too old", e.Response.Content);
    }
}
