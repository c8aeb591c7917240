using QuayGateway.Sandbox.Kubernetes;

namespace QuayGateway.Sandbox.Faults;

/// <summary>
/// Faults tests and benchmarks inject into the sandbox. A plain thread-safe class: set properties or call methods
/// from code, or use the admin API (<see cref="FaultsAdminApi"/>, <c>/sandbox/faults</c>) from outside.
/// Kubernetes API faults apply to resource requests (not discovery, not this admin API).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "The watch epoch is a timer-less CancellationTokenSource; there is nothing to release.")]
public sealed class SandboxFaults : IApiFaultHook
{
    private readonly Lock _gate = new();
    private double _apiErrorRate;
    private int _apiErrorStatusCode = 500;
    private int _retryAfterSeconds = 1;
    private HashSet<string>? _apiErrorVerbs;
    private TimeSpan _apiLatency;
    private int _forcedWatchExpiries;
    private CancellationTokenSource _watchEpoch = new();

    /// <summary>Share (0..1) of Kubernetes API requests answered with <see cref="ApiErrorStatusCode"/> instead.</summary>
    public double ApiErrorRate
    {
        get { lock (_gate) return _apiErrorRate; }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 0);
            ArgumentOutOfRangeException.ThrowIfGreaterThan(value, 1);
            lock (_gate) _apiErrorRate = value;
        }
    }

    /// <summary>500 (InternalError) or 429 (TooManyRequests, with a <c>Retry-After</c> header).</summary>
    public int ApiErrorStatusCode
    {
        get { lock (_gate) return _apiErrorStatusCode; }
        set
        {
            if (value is not (500 or 429)) throw new ArgumentOutOfRangeException(nameof(value), value, "only 500 and 429 are supported");
            lock (_gate) _apiErrorStatusCode = value;
        }
    }

    /// <summary>The <c>Retry-After</c> a 429 carries.</summary>
    public int RetryAfterSeconds
    {
        get { lock (_gate) return _retryAfterSeconds; }
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            lock (_gate) _retryAfterSeconds = value;
        }
    }

    /// <summary>Verbs the errors hit (get, list, watch, create, update, patch, delete, deletecollection); null means all.</summary>
    public IReadOnlySet<string>? ApiErrorVerbs
    {
        get { lock (_gate) return _apiErrorVerbs; }
        set { lock (_gate) _apiErrorVerbs = value is null ? null : new HashSet<string>(value, StringComparer.OrdinalIgnoreCase); }
    }

    /// <summary>Delay added before every Kubernetes API request is served.</summary>
    public TimeSpan ApiLatency
    {
        get { lock (_gate) return _apiLatency; }
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            lock (_gate) _apiLatency = value;
        }
    }

    /// <summary>Ends every watch that is open now; clients see the stream close and must re-watch.</summary>
    public void CloseWatches()
    {
        CancellationTokenSource old;
        lock (_gate)
        {
            old = _watchEpoch;
            _watchEpoch = new CancellationTokenSource();
        }
        old.Cancel();
    }

    /// <summary>The next <paramref name="count"/> watches get an ERROR event with a 410 Gone Status, as after etcd compaction.</summary>
    public void ExpireNextWatches(int count = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        lock (_gate) _forcedWatchExpiries += count;
    }

    /// <summary>Back to no faults. Open watches stay open.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _apiErrorRate = 0;
            _apiErrorStatusCode = 500;
            _retryAfterSeconds = 1;
            _apiErrorVerbs = null;
            _apiLatency = TimeSpan.Zero;
            _forcedWatchExpiries = 0;
        }
    }

    CancellationToken IApiFaultHook.WatchesClosed
    {
        get { lock (_gate) return _watchEpoch.Token; }
    }

    bool IApiFaultHook.TryTakeWatchExpiry()
    {
        lock (_gate)
        {
            if (_forcedWatchExpiries == 0) return false;
            _forcedWatchExpiries--;
            return true;
        }
    }

    InjectedApiError? IApiFaultHook.DrawApiError(string verb)
    {
        lock (_gate)
        {
            if (_apiErrorRate <= 0 || (_apiErrorVerbs is not null && !_apiErrorVerbs.Contains(verb))) return null;
            if (Random.Shared.NextDouble() >= _apiErrorRate) return null;
            return new InjectedApiError(_apiErrorStatusCode, _retryAfterSeconds);
        }
    }
}
