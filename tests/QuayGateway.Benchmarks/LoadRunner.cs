using System.Diagnostics;

namespace QuayGateway.Benchmarks;

/// <summary>Closed-loop load: N workers send back-to-back requests for a fixed time; latencies are kept per request.</summary>
public static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(string name, int workers, TimeSpan duration, Func<int, Task<bool>> send, bool announce = true)
    {
        if (announce)
        {
            // Printed as each phase starts, so that a profiler or a database sampler can be pointed at one phase.
            Console.WriteLine($"phase: {name} ({workers} workers, {duration.TotalSeconds:F0} s)");
        }

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
        return new LoadResult(name, [.. latencies.SelectMany(l => l)], failures, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>
    /// Measures two targets in alternating slices (A, B, A, B...) so that both see the same share of a noisy shared
    /// machine; a minute of heavy load elsewhere then hurts both instead of whichever phase it fell on. Returns each
    /// target's merged result and each round's throughput of both, in round order. With <paramref name="cpu"/>, each
    /// slice's CPU time is charged to its target.
    /// </summary>
    public static async Task<(LoadResult A, LoadResult B, Round[] Rounds)> AlternateAsync(
        string nameA, Func<int, Task<bool>> sendA, string nameB, Func<int, Task<bool>> sendB, int workers, TimeSpan duration, int rounds,
        CpuSplit? cpu = null)
    {
        Console.WriteLine($"phase: {nameA} vs {nameB} ({workers} workers, {duration.TotalSeconds:F0} s each, in {rounds} alternating rounds)");
        var slice = duration / rounds;
        var a = new List<LoadResult>();
        var b = new List<LoadResult>();
        for (var round = 0; round < rounds; round++)
        {
            a.Add(await Slice(0, nameA, sendA));
            b.Add(await Slice(1, nameB, sendB));
        }

        return (LoadResult.Merge(nameA, a), LoadResult.Merge(nameB, b), [.. a.Zip(b, (x, y) => new Round(x.RequestsPerSecond, y.RequestsPerSecond))]);

        Task<LoadResult> Slice(int target, string name, Func<int, Task<bool>> send)
        {
            var run = () => RunAsync(name, workers, slice, send, announce: false);
            return cpu is null ? run() : cpu.MeasureAsync(target, run);
        }
    }
}

/// <summary>One alternating round: both targets' throughput, in requests per second.</summary>
public readonly record struct Round(double A, double B)
{
    public double Ratio => A / B;

    public override string ToString() => $"{Ratio:P0} ({A:F0}/{B:F0})";
}

public sealed record LoadResult(string Name, double[] Latencies, int Failures, double Seconds)
{
    private readonly double[] _sorted = [.. Latencies.Order()];

    public int Requests => Latencies.Length;

    public double RequestsPerSecond => Requests / Seconds;

    public double MedianMs => Percentile(0.50);

    public double P99Ms => Percentile(0.99);

    public static LoadResult Merge(string name, IReadOnlyCollection<LoadResult> parts) =>
        new(name, [.. parts.SelectMany(p => p.Latencies)], parts.Sum(p => p.Failures), parts.Sum(p => p.Seconds));

    private double Percentile(double p) =>
        _sorted.Length == 0 ? double.NaN : _sorted[Math.Min(_sorted.Length - 1, (int)Math.Ceiling(p * _sorted.Length) - 1)];

    public override string ToString() =>
        $"{Name,-34} {Requests,8} req {Failures,5} failed {RequestsPerSecond,9:F0} req/s  median {MedianMs,7:F2} ms  p99 {P99Ms,7:F2} ms";
}
