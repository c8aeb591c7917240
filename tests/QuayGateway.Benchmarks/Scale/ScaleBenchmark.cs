using System.Text.Json.Nodes;
using QuayGateway.Benchmarks.Reads;
using QuayGateway.Benchmarks.Streams;

namespace QuayGateway.Benchmarks.Scale;

/// <summary>
/// Issue 21's scale suite: the fleet (<see cref="FleetBenchmark"/>), the streams during rollouts
/// (<see cref="StreamsBenchmark"/> with a sandbox process) and the reads at size (<see cref="ReadsBenchmark"/>), run one
/// after the other in one run (<c>--part</c> picks one). Each part prints its figures as it goes; last comes one JSON
/// line with every part's figures and a PASS or MISS per target. Exit code 1 on any MISS.
/// </summary>
public static class ScaleBenchmark
{
    public static readonly string[] Parts = ["fleet", "streams", "reads"];

    public sealed record Options(
        string? Part, int Registries, int Clusters, int Steady, TimeSpan PhaseDelay, int Workers,
        int Few, int Subscribers, int EventsPerSecond, int RolloutsPerSecond, TimeSpan Load, TimeSpan Idle,
        int Small, int Large, int ReadWorkers, TimeSpan ReadSeconds, int Rounds);

    public static async Task<int> RunAsync(Options options)
    {
        var line = new JsonObject { ["suite"] = "scale", ["loadAverageAtStart"] = LoadAverage() };
        var pass = true;
        foreach (var part in Parts.Where(p => options.Part is null || options.Part == p))
        {
            Console.WriteLine($"phase: scale {part}");
            var (partPass, summary) = part switch
            {
                "fleet" => await FleetBenchmark.RunAsync(options.Registries, options.Clusters, options.Steady, options.PhaseDelay, options.Workers),
                "streams" => await StreamsBenchmark.RunCoreAsync(options.Few, options.Subscribers, options.EventsPerSecond, options.Load, options.Idle, options.RolloutsPerSecond),
                _ => await ReadsBenchmark.RunCoreAsync(options.Small, options.Large, options.ReadWorkers, options.ReadSeconds, options.Rounds),
            };
            summary["loadAverageAtEnd"] = LoadAverage();
            Console.WriteLine(new JsonObject { ["suite"] = "scale", ["part"] = part, ["figures"] = summary.DeepClone() }.ToJsonString());
            line[part] = summary;
            pass &= partPass;
        }

        line["pass"] = Verdict(pass);
        Console.WriteLine(line.ToJsonString());
        return pass ? 0 : 1;
    }

    internal static string Verdict(bool pass) => pass ? "PASS" : "MISS";

    internal static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
