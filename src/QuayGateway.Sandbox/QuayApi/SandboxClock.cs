namespace QuayGateway.Sandbox.QuayApi;

/// <summary>
/// The sandbox's wall clock: real time plus an offset that tests (and the gateway's tests) can move forward, so
/// token expiry can be checked without waiting 2.5 hours. Timers and timestamps stay on real time, so advancing
/// the clock never speeds up a rollout.
/// </summary>
public sealed class SandboxClock(TimeProvider inner) : TimeProvider
{
    private long _offsetTicks;

    public SandboxClock() : this(System)
    {
    }

    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        Interlocked.Add(ref _offsetTicks, by.Ticks);
    }

    /// <summary>Sets the offset kept in a state folder; before anything reads the clock.</summary>
    internal void Restore(TimeSpan offset) => Interlocked.Exchange(ref _offsetTicks, offset.Ticks);

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Offset;
}
