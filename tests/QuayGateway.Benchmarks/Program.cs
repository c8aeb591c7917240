using System.Globalization;
using QuayGateway.Benchmarks.Foundation;

// Benchmarks are measured, not asserted: the machine is shared and noisy, so each run reports medians and ratios.
// Usage: dotnet run -c Release --project tests/QuayGateway.Benchmarks -- [foundation] [--seconds N] [--workers N] [--warmup N]
var seconds = OptionValue("--seconds", 10);
var workers = OptionValue("--workers", 16);
var warmUp = OptionValue("--warmup", 8);
var suite = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal) && !int.TryParse(a, out _)) ?? "foundation";

return suite switch
{
    "foundation" => await FoundationBenchmark.RunAsync(TimeSpan.FromSeconds(seconds), workers, TimeSpan.FromSeconds(warmUp)),
    _ => Usage(),
};

int OptionValue(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

static int Usage()
{
    Console.Error.WriteLine("usage: QuayGateway.Benchmarks [foundation] [--seconds N] [--workers N] [--warmup N]");
    return 2;
}
