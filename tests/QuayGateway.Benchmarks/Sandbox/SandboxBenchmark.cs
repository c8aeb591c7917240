using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuayGateway.Sandbox;
using QuayGateway.Sandbox.Kubernetes;
using k8s;
using k8s.Models;

namespace QuayGateway.Benchmarks.Sandbox;

/// <summary>
/// The sandbox alone (issue 3): N QuayRegistry creates over HTTP with the real KubernetesClient and bounded
/// concurrency, one cluster-wide watcher on quayregistries, and the simulated operator rolling every registry out
/// with fast phase timings. Targets at 1,000 registries: all Available in under 20 s, peak RSS under 500 MB.
/// </summary>
public static class SandboxBenchmark
{
    private const int Namespaces = 10;
    private static readonly TimeSpan RolloutTarget = TimeSpan.FromSeconds(20);
    private const long RssTargetBytes = 500L * 1024 * 1024;

    public static async Task<int> RunAsync(int registries, int workers, TimeSpan phaseDelay)
    {
        await using var memory = new MemorySampler(TimeSpan.FromMilliseconds(50));
        await using var cluster = await SandboxCluster.StartAsync(new SandboxOptions { PhaseDelay = phaseDelay });
        var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(cluster.KubeconfigYaml)));
        using var client = new Kubernetes(config);
        Console.WriteLine($"Sandbox benchmark: {registries} QuayRegistries in {Namespaces} namespaces, {workers} concurrent creates, " +
            $"phase delay {phaseDelay.TotalMilliseconds:F0} ms, {Environment.ProcessorCount} cores, " +
            $"{(GCSettings.IsServerGC ? "server" : "workstation")} GC ({GCSettings.LatencyMode}), TieredPGO {(TieredPgo() ? "on" : "off, as the sandbox program runs")}");

        for (var i = 0; i < Namespaces; i++)
        {
            await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = $"bench-{i}" } });
        }

        // Warm-up, as the foundation suite warms its servers: roll out a small batch outside the measured set (JIT,
        // tiered compilation, connection pools), then delete its namespace and wait until the store has collected it.
        await WarmUpAsync(client, cluster, Math.Min(100, registries));

        // The commit stamp: an in-process store subscriber, registered before the watch so it runs first.
        var stamps = new ConcurrentDictionary<long, long>();
        using var stamping = cluster.Store.OpenWatch(ResourceTypes.QuayRegistries, cluster.Store.CurrentResourceVersion, e =>
        {
            if (e.Resource == "quayregistries") stamps[e.Revision] = Stopwatch.GetTimestamp();
        }, out _);
        var watcher = new RegistryWatcher(client, stamps, registries);
        using var stopWatching = new CancellationTokenSource();
        var watching = watcher.RunAsync(cluster.Store.CurrentResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), stopWatching.Token);
        await Task.Delay(200); // let the watch open before the first write

        var createLatencies = new ConcurrentBag<double>();
        var firstRevision = cluster.Store.CurrentResourceVersion;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var gcPauseBefore = GC.GetTotalPauseDuration();
        var allocatedBefore = GC.GetTotalAllocatedBytes();
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(Enumerable.Range(0, registries), new ParallelOptions { MaxDegreeOfParallelism = workers }, async (i, ct) =>
        {
            var t0 = Stopwatch.GetTimestamp();
            await CreateAsync(client, $"bench-{i % Namespaces}", $"registry-{i}", ct);
            createLatencies.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
        });
        var createTime = Stopwatch.GetElapsedTime(started);

        var finished = await Task.WhenAny(watcher.AllAvailable, Task.Delay(TimeSpan.FromSeconds(120))) == watcher.AllAvailable;
        var rolloutTime = Stopwatch.GetElapsedTime(started);
        var writes = cluster.Store.CurrentResourceVersion - firstRevision;
        var allocated = GC.GetTotalAllocatedBytes() - allocatedBefore;
        await stopWatching.CancelAsync();
        await watching;
        var peakSampled = memory.PeakSampled;
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        var peakRss = process.PeakWorkingSet64; // before the benchmark's own counting below allocates
        var objects = ResourceTypes.Known.Sum(t => cluster.Store.ListCore(t, null, null, null).Items.Count);
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        var creates = createLatencies.Order().ToArray();
        var fanOut = watcher.LatenciesMs.Order().ToArray();
        var createsPerSecond = registries / createTime.TotalSeconds;
        var rolloutMet = finished && rolloutTime < RolloutTarget;
        var rssMet = Math.Max(peakSampled, peakRss) < RssTargetBytes;
        Console.WriteLine($"creates                 {registries,6} in {createTime.TotalSeconds,6:F2} s = {createsPerSecond,7:F0} creates/s  median {Percentile(creates, 0.5),7:F2} ms  p99 {Percentile(creates, 0.99),7:F2} ms");
        Console.WriteLine($"watch fan-out           {fanOut.Length,6} events (commit stamp -> watcher)  median {Percentile(fanOut, 0.5),7:F2} ms  p99 {Percentile(fanOut, 0.99),7:F2} ms  max {(fanOut.Length == 0 ? double.NaN : fanOut[^1]),7:F1} ms  ({watcher.Events} events seen, {watcher.Errors} watch errors)");
        Console.WriteLine($"rolled out (Available)  {watcher.AvailableCount,6}/{registries} after {rolloutTime.TotalSeconds,6:F2} s   target < {RolloutTarget.TotalSeconds:F0} s at 1,000: {(rolloutMet ? "PASS" : "MISS")}");
        Console.WriteLine($"peak RSS                sampled {Mb(peakSampled),6:F0} MB, PeakWorkingSet64 {Mb(peakRss),6:F0} MB   target < {Mb(RssTargetBytes):F0} MB: {(rssMet ? "PASS" : "MISS")}");
        Console.WriteLine($"store writes            {writes,6} commits, {writes / (double)registries:F1} per registry");
        Console.WriteLine($"CPU and GC (measured)   {(process.TotalProcessorTime - cpuBefore).TotalSeconds:F1} s CPU (sandbox and client); allocated {Mb(allocated):F0} MB; GC pauses {(GC.GetTotalPauseDuration() - gcPauseBefore).TotalSeconds:F2} s; collections so far gen0 {GC.CollectionCount(0)}, gen1 {GC.CollectionCount(1)}, gen2 {GC.CollectionCount(2)}");
        Console.WriteLine($"memory at rest          {objects} objects in the store; managed heap after full GC {Mb(heapAfter):F0} MB");
        Console.WriteLine(JsonSerializer.Serialize(new
        {
            registries,
            createsPerSecond = Math.Round(createsPerSecond),
            fanOutMedianMs = Math.Round(Percentile(fanOut, 0.5), 2),
            fanOutP99Ms = Math.Round(Percentile(fanOut, 0.99), 2),
            rolloutSeconds = Math.Round(rolloutTime.TotalSeconds, 2),
            peakRssMb = Math.Round(Mb(Math.Max(peakSampled, peakRss))),
            objects,
        }));
        return 0;
    }

    private static async Task WarmUpAsync(Kubernetes client, SandboxCluster cluster, int count)
    {
        const string ns = "warm-up";
        var started = Stopwatch.GetTimestamp();
        await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        var watcher = new RegistryWatcher(client, new ConcurrentDictionary<long, long>(), count);
        using var stop = new CancellationTokenSource();
        var watching = watcher.RunAsync(cluster.Store.CurrentResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), stop.Token);
        await Parallel.ForEachAsync(Enumerable.Range(0, count), async (i, ct) => await CreateAsync(client, ns, $"warm-up-{i}", ct));
        await watcher.AllAvailable.WaitAsync(TimeSpan.FromSeconds(120));
        await stop.CancelAsync();
        await watching;
        await client.CoreV1.DeleteNamespaceAsync(ns);
        while (cluster.Store.Get("namespaces", null, ns) is not null)
        {
            await Task.Delay(50);
        }

        Console.WriteLine($"warm-up                 {count} registries rolled out and deleted in {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s");
    }

    internal static Task<object> CreateAsync(Kubernetes client, string ns, string name, CancellationToken ct = default) =>
        client.CustomObjects.CreateNamespacedCustomObjectAsync(
            new JsonObject
            {
                ["apiVersion"] = "quay.redhat.com/v1",
                ["kind"] = "QuayRegistry",
                ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns },
            },
            "quay.redhat.com", "v1", ns, "quayregistries", cancellationToken: ct);

    /// <summary>The sandbox program turns TieredPGO off; run this with DOTNET_TieredPGO=0 to match it.</summary>
    private static bool TieredPgo() =>
        Environment.GetEnvironmentVariable("DOTNET_TieredPGO") != "0" && AppContext.GetData("System.Runtime.TieredPGO") is not false;

    private static double Mb(long bytes) => bytes / 1024.0 / 1024.0;

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
