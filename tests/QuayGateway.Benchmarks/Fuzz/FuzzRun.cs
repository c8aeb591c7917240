using QuayGateway.Tests.Fuzz;

namespace QuayGateway.Benchmarks.Fuzz;

/// <summary>
/// The tests' fuzz campaign, long: prints the status histogram per operation and every broken promise. Exits 1 when a
/// request got a 5xx, a non-problem error or no answer, or the gateway died; schema violations are printed, not fatal
/// (the tests' separate fact judges those).
/// </summary>
public static class FuzzRun
{
    public static async Task<int> RunAsync(int requests, int seed, int workers)
    {
        Console.WriteLine($"Fuzz: {requests} requests, seed {seed}, {workers} workers, a gateway process on a throwaway PostgreSQL");
        await using var gateway = await FuzzGateway.StartAsync();
        var report = await new FuzzCampaign(ApiDocument.LoadCommitted(), gateway.Process.Url, FuzzGateway.AdminKey)
            .RunAsync(requests, seed, workers, Console.WriteLine);
        var alive = !gateway.Process.HasExited;
        Console.WriteLine(report.HistogramText());
        Print("5xx answers", report.ServerErrors);
        Print("error answers that are not problems", report.NotProblems);
        Print("requests without an answer", report.NoAnswers);
        Console.WriteLine($"successful answers checked against the document: {report.SuccessesChecked}; kinds of violations: {report.SchemaViolations.Count}");
        if (!report.SchemaViolations.IsEmpty)
        {
            Console.WriteLine(report.SchemaViolationsText());
        }

        Console.WriteLine($"gateway alive at the end: {alive}");
        var broken = !report.ServerErrors.IsEmpty || !report.NotProblems.IsEmpty || !report.NoAnswers.IsEmpty || !alive;
        if (broken)
        {
            Console.WriteLine($"the gateway's last log lines:\n{gateway.Process.Output}");
        }

        return broken ? 1 : 0;
    }

    private static void Print(string what, System.Collections.Concurrent.ConcurrentQueue<string> entries)
    {
        Console.WriteLine($"{what}: {(entries.IsEmpty ? "none" : $"{entries.Count} (first 50 kept)")}");
        foreach (var entry in entries.Take(10))
        {
            Console.WriteLine(entry);
            Console.WriteLine();
        }
    }
}
