namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// What the API server asks before it serves a resource request or a watch. The sandbox's fault settings implement
/// it, so this layer needs nothing from them and dependencies run one way (Faults uses Kubernetes).
/// </summary>
internal interface IApiFaultHook
{
    /// <summary>Delay added before a resource request is served.</summary>
    TimeSpan ApiLatency { get; }

    /// <summary>Cancelled when the open watches are to end.</summary>
    CancellationToken WatchesClosed { get; }

    /// <summary>The injected error for a request with this verb, or null to serve it normally.</summary>
    InjectedApiError? DrawApiError(string verb);

    /// <summary>Whether this watch is to get a 410 Gone ERROR event instead.</summary>
    bool TryTakeWatchExpiry();
}

/// <summary>An injected failure: 500 (InternalError) or 429 (TooManyRequests, with <c>Retry-After</c>).</summary>
internal sealed record InjectedApiError(int StatusCode, int RetryAfterSeconds)
{
    public KubernetesStatusException ToStatus() => StatusCode == 429
        ? new KubernetesStatusException(429, "TooManyRequests", "the server has received too many requests and has asked us to try again later",
            new StatusDetails(Causes: [new StatusCause("", "injected by sandbox faults", "")], RetryAfterSeconds: RetryAfterSeconds))
        : new KubernetesStatusException(500, "InternalError", "Internal error occurred: injected by sandbox faults",
            new StatusDetails(Causes: [new StatusCause("", "injected by sandbox faults", "")]));
}
