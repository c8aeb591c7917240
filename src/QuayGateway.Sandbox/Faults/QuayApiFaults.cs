namespace QuayGateway.Sandbox.Faults;

/// <summary>An injected Quay API failure: answer <paramref name="StatusCode"/> for a share of matching requests.</summary>
/// <param name="Rate">0..1; the share of matching requests that fail.</param>
/// <param name="PathPrefix">Only requests whose path starts with this; null for every path.</param>
public sealed record QuayApiErrorFault(int StatusCode, double Rate = 1.0, string? PathPrefix = null);

/// <summary>A held request: its release, and whether Quay acts on it before holding the answer back.</summary>
internal readonly record struct QuayApiHang(bool AnswerLost, CancellationToken Release);

/// <summary>
/// Faults of the simulated Quay APIs (all registries): error answers at a rate, and hangs that hold a request until
/// the client gives up or the hang is cleared, to exercise the gateway's 502/504 paths.
/// </summary>
public sealed class QuayApiFaults
{
    private readonly Lock gate = new();
    private volatile List<QuayApiErrorFault> errors = [];
    private List<(string? PathPrefix, bool AnswerLost, CancellationTokenSource Release)> hangs = [];

    public IReadOnlyList<QuayApiErrorFault> Errors
    {
        get
        {
            lock (gate)
            {
                return errors.ToList();
            }
        }
    }

    public IReadOnlyList<string?> Hangs
    {
        get
        {
            lock (gate)
            {
                return hangs.Select(h => h.PathPrefix).ToList();
            }
        }
    }

    public void AddError(QuayApiErrorFault fault)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fault.StatusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fault.StatusCode, 599);
        ArgumentOutOfRangeException.ThrowIfNegative(fault.Rate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fault.Rate, 1.0);
        lock (gate)
        {
            errors = [.. errors, fault];
        }
    }

    /// <summary>Hold matching requests (a path prefix, or null for all) without answering.</summary>
    /// <param name="answerLost">
    /// When true, Quay carries the request out first and only its answer is held: the caller cannot know that
    /// it worked (a lost answer). When false, the request is held before Quay sees it.
    /// </param>
    public void AddHang(string? pathPrefix = null, bool answerLost = false)
    {
        lock (gate)
        {
            hangs = [.. hangs, (pathPrefix, answerLost, new CancellationTokenSource())];
        }
    }

    /// <summary>Removes every Quay API fault; held requests resume and are answered normally.</summary>
    public void Clear()
    {
        List<(string?, bool, CancellationTokenSource Release)> released;
        lock (gate)
        {
            released = hangs;
            errors = [];
            hangs = [];
        }

        foreach (var hang in released)
        {
            hang.Release.Cancel();
            hang.Release.Dispose();
        }
    }

    /// <summary>The status code to answer instead of the real one, if an error fault fires for this path.</summary>
    internal int? ErrorFor(string path)
    {
        var current = errors;
        foreach (var fault in current)
        {
            if (Matches(fault.PathPrefix, path) && Random.Shared.NextDouble() < fault.Rate)
            {
                return fault.StatusCode;
            }
        }

        return null;
    }

    /// <summary>The hang for this path (its token is cancelled when it is cleared); null when no hang matches.</summary>
    internal QuayApiHang? HangFor(string path)
    {
        lock (gate)
        {
            foreach (var (prefix, answerLost, release) in hangs)
            {
                if (Matches(prefix, path))
                {
                    return new QuayApiHang(answerLost, release.Token);
                }
            }
        }

        return null;
    }

    private static bool Matches(string? prefix, string path) =>
        prefix is null || path.StartsWith(prefix, StringComparison.Ordinal);
}
