using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace QuayGateway.Clusters;

/// <summary>
/// The gateway's one seam to a Kubernetes cluster: exactly the calls the engine makes, each failure classified as
/// <see cref="ClusterCallException"/> (transient or permanent).
/// </summary>
public enum WorkloadKind
{
    Pods,
    Jobs,
    Hpas,
}

/// <summary>One pod, job or HPA event as a fact of its registry (<see cref="RegistryKey"/> is null for bookmarks).</summary>
public sealed record WorkloadEvent(WatchEventType Type, string? RegistryKey, string ObjectKey, object? Fact, string? ResourceVersion)
{
    public static WorkloadEvent Of(WatchEventType type, WorkloadKind kind, V1ObjectMeta metadata, object? fact) =>
        new(type, Workloads.RegistryKey(metadata), $"{kind}/{metadata.Name}", fact, metadata.ResourceVersion);
}

public sealed class ClusterClient(string name, IKubernetes kubernetes, ClusterMetrics metrics) : IDisposable
{
    public const string FieldManager = "quay-gateway";
    public const string ManagedByLabel = "app.kubernetes.io/managed-by";
    public const string ManagedBySelector = $"{ManagedByLabel}={FieldManager}";
    public const string RegistryIdAnnotation = "quaygateway.dev/registry-id";

    public string Name { get; } = name;

    /// <summary>Creates the namespace when missing. True when this call created it.</summary>
    public Task<bool> EnsureNamespaceAsync(string ns, CancellationToken ct) => CallAsync("create", async () =>
    {
        if (await ReadOrNullAsync(() => kubernetes.CoreV1.ReadNamespaceAsync(ns, cancellationToken: ct)) is not null)
        {
            return false;
        }

        try
        {
            await kubernetes.CoreV1.CreateNamespaceAsync(new V1Namespace
            {
                Metadata = new V1ObjectMeta { Name = ns, Labels = new Dictionary<string, string> { [ManagedByLabel] = FieldManager } },
            }, cancellationToken: ct);
            return true;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            return false; // created concurrently by someone else: not ours
        }
    });

    /// <summary>Whether the namespace carries the gateway's managed-by label, i.e. the gateway created it.</summary>
    public Task<bool> IsOwnNamespaceAsync(string ns, CancellationToken ct) => CallAsync("get", async () =>
        await ReadOrNullAsync(() => kubernetes.CoreV1.ReadNamespaceAsync(ns, cancellationToken: ct)) is { } found
        && found.Metadata.Labels?.TryGetValue(ManagedByLabel, out var manager) == true && manager == FieldManager);

    public Task<bool> SecretExistsAsync(string ns, string secretName, CancellationToken ct) => CallAsync("get", async () =>
        await ReadOrNullAsync(() => kubernetes.CoreV1.ReadNamespacedSecretAsync(secretName, ns, cancellationToken: ct)) is not null);

    /// <summary>A Secret's metadata (who made it, its uid), or null when there is none; its data is not kept.</summary>
    public Task<V1ObjectMeta?> GetSecretMetadataAsync(string ns, string secretName, CancellationToken ct) => CallAsync("get", async () =>
        (await ReadOrNullAsync(() => kubernetes.CoreV1.ReadNamespacedSecretAsync(secretName, ns, cancellationToken: ct)))?.Metadata);

    /// <summary>Server-side apply of a Secret owned by the gateway (Opaque unless <paramref name="type"/> says otherwise).</summary>
    public Task ApplySecretAsync(string ns, string secretName, IReadOnlyDictionary<string, string> data,
        IDictionary<string, string> labels, IDictionary<string, string> annotations, CancellationToken ct, string type = "Opaque") => CallAsync("patch", () =>
        kubernetes.CoreV1.PatchNamespacedSecretAsync(new V1Patch(new V1Secret
        {
            ApiVersion = "v1",
            Kind = "Secret",
            Type = type,
            Metadata = new V1ObjectMeta { Name = secretName, NamespaceProperty = ns, Labels = labels, Annotations = annotations },
            StringData = data.ToDictionary(e => e.Key, e => e.Value),
        }, V1Patch.PatchType.ApplyPatch), secretName, ns, fieldManager: FieldManager, force: true, cancellationToken: ct));

    public Task<QuayRegistryResource?> GetQuayRegistryAsync(string ns, string registryName, CancellationToken ct) => CallAsync("get", () =>
        ReadOrNullAsync(() => kubernetes.CustomObjects.GetNamespacedCustomObjectAsync<QuayRegistryResource>(
            QuayRegistryResource.Group, QuayRegistryResource.Version, ns, QuayRegistryResource.Plural, registryName, ct)));

    /// <summary>Server-side apply with field manager <c>quay-gateway</c>: fields the operator owns stay its own.</summary>
    public Task<QuayRegistryResource> ApplyQuayRegistryAsync(QuayRegistryResource registry, CancellationToken ct) => CallAsync("patch", () =>
        kubernetes.CustomObjects.PatchNamespacedCustomObjectAsync<QuayRegistryResource>(
            new V1Patch(registry, V1Patch.PatchType.ApplyPatch), QuayRegistryResource.Group, QuayRegistryResource.Version,
            registry.Metadata.NamespaceProperty, QuayRegistryResource.Plural, registry.Metadata.Name,
            fieldManager: FieldManager, force: true, cancellationToken: ct));

    /// <summary>
    /// Deletes the QuayRegistry only if it is still the object with <paramref name="uid"/> (a precondition the API server
    /// checks): one that replaced it meanwhile is left alone. Gone already, or replaced: nothing to do.
    /// </summary>
    public Task DeleteQuayRegistryAsync(string ns, string registryName, string uid, CancellationToken ct) => CallAsync("delete", () =>
        IgnoreGoneAsync(() => kubernetes.CustomObjects.DeleteNamespacedCustomObjectAsync(
            QuayRegistryResource.Group, QuayRegistryResource.Version, ns, QuayRegistryResource.Plural, registryName,
            body: OnlyUid(uid), cancellationToken: ct)));

    /// <summary>Deletes the Secret only if it is still the object with <paramref name="uid"/>, like <see cref="DeleteQuayRegistryAsync"/>.</summary>
    public Task DeleteSecretAsync(string ns, string secretName, string uid, CancellationToken ct) => CallAsync("delete", () =>
        IgnoreGoneAsync(() => kubernetes.CoreV1.DeleteNamespacedSecretAsync(secretName, ns, body: OnlyUid(uid), cancellationToken: ct)));

    private static V1DeleteOptions OnlyUid(string uid) => new() { Preconditions = new V1Preconditions { Uid = uid } };

    public Task DeleteNamespaceAsync(string ns, CancellationToken ct) => CallAsync("delete", () =>
        IgnoreNotFoundAsync(() => kubernetes.CoreV1.DeleteNamespaceAsync(ns, cancellationToken: ct)));

    public Task<int> CountQuayRegistriesAsync(string ns, CancellationToken ct) => CallAsync("list", async () =>
        (await kubernetes.CustomObjects.ListNamespacedCustomObjectAsync<QuayRegistryList>(
            QuayRegistryResource.Group, QuayRegistryResource.Version, ns, QuayRegistryResource.Plural, cancellationToken: ct)).Items.Count);

    /// <summary>Every QuayRegistry the gateway manages, cluster-wide, with the list's resourceVersion to watch from.</summary>
    public Task<QuayRegistryList> ListQuayRegistriesAsync(CancellationToken ct) => CallAsync("list", () =>
        kubernetes.CustomObjects.ListClusterCustomObjectAsync<QuayRegistryList>(
            QuayRegistryResource.Group, QuayRegistryResource.Version, QuayRegistryResource.Plural,
            labelSelector: ManagedBySelector, cancellationToken: ct));

    /// <summary>One watch for the whole cluster. A 410 Gone reaches <paramref name="onError"/> and ends the stream.</summary>
    public async IAsyncEnumerable<(WatchEventType Type, QuayRegistryResource Object)> WatchQuayRegistriesAsync(
        string resourceVersion, Action<Exception> onError, [EnumeratorCancellation] CancellationToken ct)
    {
        var events = kubernetes.CustomObjects.WatchListClusterCustomObjectAsync(
            QuayRegistryResource.Group, QuayRegistryResource.Version, QuayRegistryResource.Plural,
            allowWatchBookmarks: true, labelSelector: ManagedBySelector, resourceVersion: resourceVersion,
            timeoutSeconds: 300, onError: onError, cancellationToken: ct);
        await foreach (var (type, item) in events)
        {
            // Custom objects arrive untyped; the client's own serializer knows V1ObjectMeta.
            var json = item is JsonElement element ? element.GetRawText() : KubernetesJson.Serialize(item);
            yield return (type, KubernetesJson.Deserialize<QuayRegistryResource>(json));
        }
    }

    /// <summary>
    /// Every pod, job or HPA the operator made for a registry (label <c>quay-operator/quayregistry</c>), cluster-wide,
    /// as facts, with the list's resourceVersion to watch from.
    /// </summary>
    public Task<(List<WorkloadEvent> Items, string? ResourceVersion)> ListWorkloadsAsync(WorkloadKind kind, CancellationToken ct) =>
        CallAsync<(List<WorkloadEvent>, string?)>("list", async () =>
    {
        switch (kind)
        {
            case WorkloadKind.Pods:
                var pods = await kubernetes.CoreV1.ListPodForAllNamespacesAsync(labelSelector: Workloads.RegistryLabel, cancellationToken: ct);
                return (pods.Items.Select(p => WorkloadEvent.Of(WatchEventType.Added, kind, p.Metadata, Workloads.Pod(p))).ToList(), pods.Metadata.ResourceVersion);
            case WorkloadKind.Jobs:
                var jobs = await kubernetes.BatchV1.ListJobForAllNamespacesAsync(labelSelector: Workloads.RegistryLabel, cancellationToken: ct);
                return (jobs.Items.Select(j => WorkloadEvent.Of(WatchEventType.Added, kind, j.Metadata, Workloads.Job(j))).ToList(), jobs.Metadata.ResourceVersion);
            default:
                var hpas = await kubernetes.AutoscalingV2.ListHorizontalPodAutoscalerForAllNamespacesAsync(labelSelector: Workloads.RegistryLabel, cancellationToken: ct);
                return (hpas.Items.Select(h => WorkloadEvent.Of(WatchEventType.Added, kind, h.Metadata, Workloads.Hpa(h))).ToList(), hpas.Metadata.ResourceVersion);
        }
    });

    /// <summary>One cluster-wide watch per kind, like <see cref="WatchQuayRegistriesAsync"/>; facts instead of objects.</summary>
    public IAsyncEnumerable<WorkloadEvent> WatchWorkloadsAsync(WorkloadKind kind, string resourceVersion, Action<Exception> onError, CancellationToken ct) =>
        kind switch
        {
            WorkloadKind.Pods => kubernetes.CoreV1.WatchListPodForAllNamespacesAsync(allowWatchBookmarks: true, labelSelector: Workloads.RegistryLabel,
                    resourceVersion: resourceVersion, timeoutSeconds: 300, onError: onError, cancellationToken: ct)
                .Select(e => WorkloadEvent.Of(e.Item1, kind, e.Item2.Metadata, e.Item1 == WatchEventType.Bookmark ? null : Workloads.Pod(e.Item2))),
            WorkloadKind.Jobs => kubernetes.BatchV1.WatchListJobForAllNamespacesAsync(allowWatchBookmarks: true, labelSelector: Workloads.RegistryLabel,
                    resourceVersion: resourceVersion, timeoutSeconds: 300, onError: onError, cancellationToken: ct)
                .Select(e => WorkloadEvent.Of(e.Item1, kind, e.Item2.Metadata, e.Item1 == WatchEventType.Bookmark ? null : Workloads.Job(e.Item2))),
            _ => kubernetes.AutoscalingV2.WatchListHorizontalPodAutoscalerForAllNamespacesAsync(allowWatchBookmarks: true, labelSelector: Workloads.RegistryLabel,
                    resourceVersion: resourceVersion, timeoutSeconds: 300, onError: onError, cancellationToken: ct)
                .Select(e => WorkloadEvent.Of(e.Item1, kind, e.Item2.Metadata, e.Item1 == WatchEventType.Bookmark ? null : Workloads.Hpa(e.Item2))),
        };

    /// <summary>Whether the API server answers <c>/version</c>; a reachability probe, never throws.</summary>
    public async Task<(bool Reachable, string? Version, string? Error)> ProbeAsync(CancellationToken ct)
    {
        try
        {
            var version = await kubernetes.Version.GetCodeAsync(ct);
            return (true, version.GitVersion, null);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException or TaskCanceledException or IOException)
        {
            return (false, null, ClusterCallException.From(e).Message);
        }
    }

    /// <summary>Every call is counted by verb and HTTP code (0 when no answer came) and its failure classified.</summary>
    private async Task<T> CallAsync<T>(string verb, Func<Task<T>> call)
    {
        try
        {
            var result = await call();
            metrics.CountKubernetesCall(verb, 200);
            return result;
        }
        catch (HttpOperationException e)
        {
            metrics.CountKubernetesCall(verb, (int)e.Response.StatusCode);
            throw ClusterCallException.From(e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException || (e is TaskCanceledException && e.InnerException is TimeoutException))
        {
            metrics.CountKubernetesCall(verb, 0);
            throw ClusterCallException.From(e);
        }
    }

    private Task<bool> CallAsync(string verb, Func<Task> call) => CallAsync(verb, async () =>
    {
        await call();
        return true;
    });

    private static async Task<T?> ReadOrNullAsync<T>(Func<Task<T>> read) where T : class
    {
        try
        {
            return await read();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>A uid precondition that fails (409) means the object there now is another one: not ours to delete.</summary>
    private static async Task IgnoreGoneAsync<T>(Func<Task<T>> delete)
    {
        try
        {
            await delete();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
        {
            // gone already, or replaced by an object that is not ours
        }
    }

    private static async Task IgnoreNotFoundAsync<T>(Func<Task<T>> delete)
    {
        try
        {
            await delete();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            // already gone: deleting is idempotent
        }
    }

    public void Dispose() => kubernetes.Dispose();
}
