using System.Diagnostics;

namespace QuayGateway.Benchmarks;

/// <summary>Closed-loop load: N workers send back-to-back requests for a fixed time; latencies are kept per request.</summary>
public static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(string name, int workers, TimeSpan duration, Func<int, Task<bool>> send)
    {
        // Printed as each phase starts, so that a profiler or a database sampler can be pointed at one phase.
        Console.WriteLine($"phase: {name} ({workers} workers, {duration.TotalSeconds:F0} s)");
        var latencies = new List<double>[workers];
        var failures = 0;
        var stopAt = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async w =>
        {
            var mine = latencies[w] = [];
            var i = 0;
            while (Stopwatch.GetTimestamp() < stopAt)
            {
                var t0 = Stopwatch.GetTimestamp();
                var ok = await send(w * 1_000_000 + i++);
                mine.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                if (!ok)
                {
                    Interlocked.Increment(ref failures);
                }
            }
        }));
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var all = latencies.SelectMany(l => l).Order().ToArray();
        return new LoadResult(name, all.Length, failures, all.Length / elapsed, Percentile(all, 0.50), Percentile(all, 0.99));
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];
}

public sealed record LoadResult(string Name, int Requests, int Failures, double RequestsPerSecond, double MedianMs, double P99Ms)
{
    public override string ToString() =>
        $"{Name,-34} {Requests,8} req {Failures,5} failed {RequestsPerSecond,9:F0} req/s  median {MedianMs,7:F2} ms  p99 {P99Ms,7:F2} ms";
}
