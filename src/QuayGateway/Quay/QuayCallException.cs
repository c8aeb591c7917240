namespace QuayGateway.Quay;

/// <summary>A call to Quay that got no answer.</summary>
/// <param name="message">What went wrong.</param>
/// <param name="timedOut">True when the call ran out of time; false when Quay could not be reached.</param>
/// <param name="maybeDelivered">
/// Whether Quay may have received and acted on the request. False only when the connection was never established,
/// so a non-idempotent call (user/initialize) has an unknown outcome whenever this is true.
/// </param>
/// <param name="inner">The failure of the transport.</param>
/// <param name="refused">The destination guard refused the connection: nothing was sent.</param>
public sealed class QuayCallException(string message, bool timedOut, bool maybeDelivered, Exception? inner = null, bool refused = false)
    : Exception(message, inner)
{
    public bool Refused { get; } = refused;

    public bool TimedOut { get; } = timedOut;

    public bool MaybeDelivered { get; } = maybeDelivered;
}
