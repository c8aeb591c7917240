using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using k8s;

namespace QuayGateway.Benchmarks.Sandbox;

/// <summary>
/// One KubernetesClient watch on quayregistries across all namespaces. For every event it records how long after
/// the store stamped the commit the watcher saw it, and counts the registries whose <c>Available</c> turned True.
/// </summary>
public sealed class RegistryWatcher(Kubernetes client, ConcurrentDictionary<long, long> commitStamps, int expected)
{
    private readonly ConcurrentDictionary<string, bool> _available = new(StringComparer.Ordinal);
    private readonly List<double> _latenciesMs = [];
    private readonly TaskCompletionSource _allAvailable = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task AllAvailable => _allAvailable.Task;

    public int AvailableCount => _available.Count;

    public int Events { get; private set; }

    public int Errors { get; private set; }

    public IReadOnlyList<double> LatenciesMs => _latenciesMs;

    public async Task RunAsync(string resourceVersion, CancellationToken ct)
    {
        var events = client.CustomObjects.WatchListClusterCustomObjectAsync(
            "quay.redhat.com", "v1", "quayregistries", resourceVersion: resourceVersion,
            timeoutSeconds: 3600, onError: _ => Errors++, cancellationToken: ct);
        try
        {
            await foreach (var (type, item) in events)
            {
                var seen = Stopwatch.GetTimestamp();
                Observe(type, (JsonElement)item, seen);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The benchmark is over.
        }
    }

    private void Observe(WatchEventType type, JsonElement obj, long seen)
    {
        Events++;
        var metadata = obj.GetProperty("metadata");
        if (long.TryParse(metadata.GetProperty("resourceVersion").GetString(), out var revision)
            && commitStamps.TryRemove(revision, out var stamped))
        {
            _latenciesMs.Add(Stopwatch.GetElapsedTime(stamped, seen).TotalMilliseconds);
        }

        if (type == WatchEventType.Deleted || !IsAvailable(obj))
        {
            return;
        }

        var key = $"{metadata.GetProperty("namespace").GetString()}/{metadata.GetProperty("name").GetString()}";
        if (_available.TryAdd(key, true) && _available.Count == expected)
        {
            _allAvailable.TrySetResult();
        }
    }

    private static bool IsAvailable(JsonElement obj)
    {
        if (!obj.TryGetProperty("status", out var status) || !status.TryGetProperty("conditions", out var conditions))
        {
            return false;
        }

        foreach (var condition in conditions.EnumerateArray())
        {
            if (condition.GetProperty("type").GetString() == "Available")
            {
                return condition.GetProperty("status").GetString() == "True";
            }
        }

        return false;
    }
}
