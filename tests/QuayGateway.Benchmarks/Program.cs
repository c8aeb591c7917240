using System.Globalization;
using QuayGateway.Benchmarks.Engine;
using QuayGateway.Benchmarks.Foundation;
using QuayGateway.Benchmarks.Reads;
using QuayGateway.Benchmarks.Sandbox;
using QuayGateway.Benchmarks.Scale;
using QuayGateway.Benchmarks.Streams;
using QuayGateway.Tests.Chaos;
using QuayGateway.Benchmarks.Fuzz;

// Benchmarks are measured, not asserted: the machine is shared and noisy, so each run reports medians and ratios.
// Usage: dotnet run -c Release --project tests/QuayGateway.Benchmarks -- [foundation] [--seconds N] [--workers N] [--warmup N] [--rounds N] [--profile]
//        (--warmup: seconds of load per server and endpoint before measuring; 20 by default, see FoundationBenchmark)
//        dotnet run -c Release --project tests/QuayGateway.Benchmarks -- sandbox [--registries 1000] [--workers 16] [--phase-delay-ms 50]
//        dotnet run -c Release --project tests/QuayGateway.Benchmarks -- chaos [--short] [--scenario NAME]
//        (one JSON line per scenario with its figures and PASS/MISS; exit code 1 on any MISS)
//        dotnet run -c Release --project tests/QuayGateway.Benchmarks -- fuzz [--requests 100000] [--seed 1] [--workers 8]
//        dotnet run -c Release --project tests/QuayGateway.Benchmarks -- reads [--small 1000] [--large 100000] [--workers 8] [--seconds 10] [--rounds 5]
//        dotnet run -c Release --project tests/QuayGateway.Benchmarks -- streams [--few 10] [--subscribers 200] [--events-per-second 20] [--seconds 15] [--idle-seconds 10]
//        dotnet run -c Release --project tests/QuayGateway.Benchmarks -- scale [--part fleet|streams|reads] [fleet: --registries 10000 --clusters 10 --steady 40 --phase-delay-ms 1000 --workers 16]
//              [streams: --few 10 --subscribers 2000 --events-per-second 20 --rollouts-per-second 2 --seconds 15 --idle-seconds 10] [reads: --small 1000 --large 100000 --read-workers 8 --read-seconds 10 --rounds 5]
var seconds = OptionValue("--seconds", 10);
var workers = OptionValue("--workers", 16);
var warmUp = OptionValue("--warmup", 20);
var suite = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)) ?? "foundation";

return suite switch
{
    "engine" => await EngineBenchmark.RunAsync(OptionValue("--registries", 1000), OptionValue("--steady", 40),
        TimeSpan.FromMilliseconds(OptionValue("--phase-delay-ms", 1000)), workers),
    "foundation" => await FoundationBenchmark.RunAsync(TimeSpan.FromSeconds(seconds), workers, TimeSpan.FromSeconds(warmUp), OptionValue("--rounds", 5), args.Contains("--profile")),
    "chaos" => await RunChaosAsync(args.Contains("--short"), OptionText("--scenario")),
    "fuzz" => await FuzzRun.RunAsync(OptionValue("--requests", 100_000), OptionValue("--seed", 1), OptionValue("--workers", 8)),
    "streams" => await StreamsBenchmark.RunAsync(OptionValue("--few", 10), OptionValue("--subscribers", 200), OptionValue("--events-per-second", 20),
        TimeSpan.FromSeconds(OptionValue("--seconds", 15)), TimeSpan.FromSeconds(OptionValue("--idle-seconds", 10))),
    "reads" => await ReadsBenchmark.RunAsync(OptionValue("--small", 1000), OptionValue("--large", 100_000), OptionValue("--workers", 8),
        TimeSpan.FromSeconds(OptionValue("--seconds", 10)), OptionValue("--rounds", 5)),
    "scale" when OptionText("--part") is { } part && !ScaleBenchmark.Parts.Contains(part) => Usage(),
    "scale" => await ScaleBenchmark.RunAsync(new ScaleBenchmark.Options(OptionText("--part"),
        OptionValue("--registries", 10_000), OptionValue("--clusters", 10), OptionValue("--steady", 40), TimeSpan.FromMilliseconds(OptionValue("--phase-delay-ms", 1000)), workers,
        OptionValue("--few", 10), OptionValue("--subscribers", 2000), OptionValue("--events-per-second", 20), OptionValue("--rollouts-per-second", 2),
        TimeSpan.FromSeconds(OptionValue("--seconds", 15)), TimeSpan.FromSeconds(OptionValue("--idle-seconds", 10)),
        OptionValue("--small", 1000), OptionValue("--large", 100_000), OptionValue("--read-workers", 8), TimeSpan.FromSeconds(OptionValue("--read-seconds", 10)), OptionValue("--rounds", 5))),
    "sandbox-state" => await StateBenchmark.RunAsync(OptionValue("--registries", 385), TimeSpan.FromMilliseconds(OptionValue("--phase-delay-ms", 50))),
    "sandbox" => await SandboxBenchmark.RunAsync(OptionValue("--registries", 1000), workers, TimeSpan.FromMilliseconds(OptionValue("--phase-delay-ms", 50))),
    _ => Usage(),
};

int OptionValue(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

string? OptionText(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static async Task<int> RunChaosAsync(bool isShort, string? only)
{
    if (only is not null && ChaosSuite.Scenarios.All(s => s.Name != only))
    {
        Console.Error.WriteLine($"No chaos scenario '{only}'; there are {string.Join(", ", ChaosSuite.Scenarios.Select(s => s.Name))}.");
        return 2;
    }

    var missed = 0;
    foreach (var (name, _) in ChaosSuite.Scenarios.Where(s => only is null || s.Name == only))
    {
        var result = await ChaosSuite.RunAsync(name, isShort);
        Console.WriteLine(result.ToJsonLine());
        if (!result.Pass)
        {
            missed++;
            Console.Error.WriteLine(result.Detail);
        }
    }

    return missed == 0 ? 0 : 1;
}

static int Usage()
{
    Console.Error.WriteLine("usage: QuayGateway.Benchmarks engine [--registries 1000] [--steady 40] [--phase-delay-ms 1000] [--workers 16]");
    Console.Error.WriteLine("usage: QuayGateway.Benchmarks [foundation] [--seconds N] [--workers N] [--warmup N] [--rounds N] [--profile]");
    Console.Error.WriteLine("       QuayGateway.Benchmarks sandbox [--registries 1000] [--workers 16] [--phase-delay-ms 50]");
    Console.Error.WriteLine("       QuayGateway.Benchmarks sandbox-state [--registries 385] [--phase-delay-ms 50]");
    Console.Error.WriteLine("       QuayGateway.Benchmarks chaos [--short] [--scenario NAME]");
    Console.Error.WriteLine("       QuayGateway.Benchmarks fuzz [--requests 100000] [--seed 1] [--workers 8]");
    Console.Error.WriteLine("       QuayGateway.Benchmarks reads [--small 1000] [--large 100000] [--workers 8] [--seconds 10] [--rounds 5]");
    Console.Error.WriteLine("       QuayGateway.Benchmarks streams [--few 10] [--subscribers 200] [--events-per-second 20] [--seconds 15] [--idle-seconds 10]");
    Console.Error.WriteLine("       QuayGateway.Benchmarks scale [--part fleet|streams|reads] [--registries 10000] [--clusters 10] [--steady 40] [--phase-delay-ms 1000] [--workers 16]");
    Console.Error.WriteLine("                                    [--few 10] [--subscribers 2000] [--events-per-second 20] [--rollouts-per-second 2] [--seconds 15] [--idle-seconds 10]");
    Console.Error.WriteLine("                                    [--small 1000] [--large 100000] [--read-workers 8] [--read-seconds 10] [--rounds 5]");
    return 2;
}
