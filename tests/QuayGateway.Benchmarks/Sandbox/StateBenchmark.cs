using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using QuayGateway.Sandbox;
using QuayGateway.Sandbox.Kubernetes;
using k8s;
using k8s.Models;

namespace QuayGateway.Benchmarks.Sandbox;

/// <summary>
/// The cost of the sandbox's state folder (issue 18: "a crash loses at most the last second"): N registries rolled
/// out with a state folder (26 objects each: 385 make about 10,000 objects, and the watch history full), then one
/// change every 100 ms for 10 s, as under constant change. Every journal append the background loop makes (the
/// changes only, every 0.2 s) is timed from collecting to the flush to disk (<c>SandboxState.Writes</c>), and the
/// full snapshot requested at the start of the changes (as every 60 s) from serializing to rename (<c>Snapshots</c>).
/// </summary>
public static class StateBenchmark
{
    private const int Namespaces = 10;

    public static async Task<int> RunAsync(int registries, TimeSpan phaseDelay)
    {
        var folder = Directory.CreateTempSubdirectory("qg-state-bench-").FullName;
        try
        {
            await using var cluster = await SandboxCluster.StartAsync(new SandboxOptions { PhaseDelay = phaseDelay, StateDirectory = folder });
            var config = KubernetesClientConfiguration.BuildConfigFromConfigFile(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(cluster.KubeconfigYaml)));
            using var client = new Kubernetes(config);
            for (var i = 0; i < Namespaces; i++)
            {
                await client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = $"bench-{i}" } });
            }

            var watcher = new RegistryWatcher(client, new ConcurrentDictionary<long, long>(), registries);
            using var stop = new CancellationTokenSource();
            var watching = watcher.RunAsync(cluster.Store.CurrentResourceVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), stop.Token);
            await Task.Delay(200);
            await Parallel.ForEachAsync(Enumerable.Range(0, registries), new ParallelOptions { MaxDegreeOfParallelism = 16 },
                async (i, ct) => await SandboxBenchmark.CreateAsync(client, $"bench-{i % Namespaces}", $"registry-{i}", ct));
            await watcher.AllAvailable.WaitAsync(TimeSpan.FromSeconds(180));
            await stop.CancelAsync();
            await watching;
            await Task.Delay(1500); // the rollout's own writes flushed

            var objects = ResourceTypes.Known.Sum(t => cluster.Store.ListCore(t, null, null, null).Items.Count);
            var state = cluster.State!;
            state.Writes.Clear();
            state.Snapshots.Clear();
            state.RequestSnapshot(); // one full snapshot in the background during the changes, as every 60 s
            using var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < 100; i++)
            {
                cluster.Store.MergePatch("namespaces", null, "bench-0", new JsonObject { ["metadata"] = new JsonObject { ["labels"] = new JsonObject { ["tick"] = $"t{i}" } } });
                await Task.Delay(100);
            }

            await Task.Delay(600);
            var elapsed = Stopwatch.GetElapsedTime(started);
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuBefore;
            var writes = state.Writes.ToArray();
            var took = writes.Select(w => w.Took.TotalMilliseconds).Order().ToArray();
            var snapshots = state.Snapshots.ToArray();
            var size = new FileInfo(Path.Combine(folder, "state.json")).Length;
            Console.WriteLine($"Sandbox state benchmark: {registries} registries, {objects} objects, state.json {size / 1024.0 / 1024.0:F1} MB, " +
                $"load average {LoadAverage()}, {Environment.ProcessorCount} cores");
            Console.WriteLine($"  {writes.Length} journal appends in {elapsed.TotalSeconds:F1} s of one change per 100 ms: median {Percentile(took, 0.5):F1} ms, " +
                $"p95 {Percentile(took, 0.95):F1} ms, max {took.LastOrDefault():F1} ms per append ({writes.Sum(w => w.Bytes) / 1024.0:F0} KB in all); appending took {took.Sum() / elapsed.TotalMilliseconds:P1} " +
                $"of the time; process CPU {cpu.TotalMilliseconds / elapsed.TotalMilliseconds:P0} of one core (with the snapshot)");
            Console.WriteLine($"  {snapshots.Length} full snapshot(s) in the background meanwhile: " +
                string.Join(", ", snapshots.Select(s => $"{s.Took.TotalMilliseconds:F0} ms, {s.Bytes / 1024.0 / 1024.0:F1} MB")));
            return 0;
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string LoadAverage() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}
