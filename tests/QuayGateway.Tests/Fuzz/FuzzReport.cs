using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace QuayGateway.Tests.Fuzz;

/// <summary>What a campaign saw: a status histogram per operation and every broken promise, each with its request.</summary>
public sealed class FuzzReport
{
    private const int KeepPerList = 50;

    public ConcurrentDictionary<string, ConcurrentDictionary<int, int>> Histogram { get; } = new();

    /// <summary>Operation → auth variants it was sent with (the scope combinations covered).</summary>
    public ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> AuthCovered { get; } = new();

    public ConcurrentQueue<string> ServerErrors { get; } = new();

    public ConcurrentQueue<string> NotProblems { get; } = new();

    public ConcurrentQueue<string> NoAnswers { get; } = new();

    /// <summary>Violation message (without the body's values) → how often, and one example request.</summary>
    public ConcurrentDictionary<string, (int Count, string Example)> SchemaViolations { get; } = new();

    public int SuccessesChecked;

    public int Sent;

    public TimeSpan Elapsed { get; set; }

    public void Count(FuzzRequest request, int status)
    {
        Interlocked.Increment(ref Sent);
        Histogram.GetOrAdd(request.OperationName, _ => new()).AddOrUpdate(status, 1, (_, n) => n + 1);
        AuthCovered.GetOrAdd(request.OperationName, _ => new()).TryAdd(request.Auth, 0);
    }

    public static void Keep(ConcurrentQueue<string> list, string entry)
    {
        if (list.Count < KeepPerList)
        {
            list.Enqueue(entry);
        }
    }

    /// <summary>Counted by kind: array indices in the place named are folded (<c>items/3/spec</c> → <c>items/*/spec</c>).</summary>
    public void AddSchemaViolation(string violation, FuzzRequest request) =>
        SchemaViolations.AddOrUpdate(Regex.Replace(violation, @"/\d+(?=[/ )])", "/*"), _ => (1, request.ToString()), (_, v) => (v.Count + 1, v.Example));

    /// <summary>One line per operation: its statuses and how often each came.</summary>
    public string HistogramText()
    {
        var text = new StringBuilder();
        foreach (var (operation, statuses) in Histogram.OrderBy(h => h.Key, StringComparer.Ordinal))
        {
            text.Append(CultureInfo.InvariantCulture, $"{operation,-58} {statuses.Values.Sum(),6}:");
            foreach (var (status, count) in statuses.OrderBy(s => s.Key))
            {
                text.Append(CultureInfo.InvariantCulture, $" {(status == 0 ? "none" : status.ToString(CultureInfo.InvariantCulture))}×{count}");
            }

            text.AppendLine();
        }

        var all = Histogram.Values.SelectMany(s => s).GroupBy(s => s.Key / 100).OrderBy(g => g.Key)
            .Select(g => $"{g.Key}xx×{g.Sum(s => s.Value)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"total {Sent} requests in {Elapsed.TotalSeconds:F1} s: {string.Join(' ', all)}");
        return text.ToString();
    }

    public string SchemaViolationsText() => string.Join("\n", SchemaViolations.OrderBy(v => v.Key, StringComparer.Ordinal)
        .Select(v => $"{v.Value.Count,5}× {v.Key}\n       e.g. {v.Value.Example.Replace("\n", "\n       ", StringComparison.Ordinal)}"));
}
