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
    private readonly Lock _gate = new();
    private volatile List<QuayApiErrorFault> _errors = [];
    private List<(string? PathPrefix, bool AnswerLost, CancellationTokenSource Release)> _hangs = [];
    private int _held;

    /// <summary>
    /// Requests a hang holds right now. One whose client gave up is let go at once and no longer counted; clearing the
    /// hangs lets the rest through. A test that means "the request never reached Quay" waits for 0 before clearing.
    /// </summary>
    public int Held => Volatile.Read(ref _held);

    public IReadOnlyList<QuayApiErrorFault> Errors
    {
        get
        {
            lock (_gate)
            {
                return _errors.ToList();
            }
        }
    }

    public IReadOnlyList<string?> Hangs
    {
        get
        {
            lock (_gate)
            {
                return _hangs.Select(h => h.PathPrefix).ToList();
            }
        }
    }

    public void AddError(QuayApiErrorFault fault)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(fault.StatusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fault.StatusCode, 599);
        ArgumentOutOfRangeException.ThrowIfNegative(fault.Rate);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(fault.Rate, 1.0);
        lock (_gate)
        {
            _errors = [.. _errors, fault];
        }
    }

    /// <summary>Hold matching requests (a path prefix, or null for all) without answering.</summary>
    /// <param name="answerLost">
    /// When true, Quay carries the request out first and only its answer is held: the caller cannot know that
    /// it worked (a lost answer). When false, the request is held before Quay sees it.
    /// </param>
    public void AddHang(string? pathPrefix = null, bool answerLost = false)
    {
        lock (_gate)
        {
            _hangs = [.. _hangs, (pathPrefix, answerLost, new CancellationTokenSource())];
        }
    }

    /// <summary>Removes every Quay API fault; held requests resume and are answered normally.</summary>
    public void Clear()
    {
        List<(string?, bool, CancellationTokenSource Release)> released;
        lock (_gate)
        {
            released = _hangs;
            _errors = [];
            _hangs = [];
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
        var current = _errors;
        foreach (var fault in current)
        {
            if (Matches(fault.PathPrefix, path) && Random.Shared.NextDouble() < fault.Rate)
            {
                return fault.StatusCode;
            }
        }

        return null;
    }

    /// <summary>Holds a request until <paramref name="release"/> (the hang was cleared) or <paramref name="aborted"/> (the client gave up).</summary>
    internal async Task HoldAsync(CancellationToken release, CancellationToken aborted)
    {
        Interlocked.Increment(ref _held);
        try
        {
            using var either = CancellationTokenSource.CreateLinkedTokenSource(release, aborted);
            await Task.Delay(Timeout.Infinite, either.Token);
        }
        catch (OperationCanceledException)
        {
            // Either the hang was cleared (answer normally) or the client gave up (the caller checks).
        }
        finally
        {
            Interlocked.Decrement(ref _held);
        }
    }

    /// <summary>The hang for this path (its token is cancelled when it is cleared); null when no hang matches.</summary>
    internal QuayApiHang? HangFor(string path)
    {
        lock (_gate)
        {
            foreach (var (prefix, answerLost, release) in _hangs)
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
