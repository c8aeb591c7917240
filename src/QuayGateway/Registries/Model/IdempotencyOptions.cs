namespace QuayGateway.Registries.Model;

/// <summary>How long an <c>Idempotency-Key</c> is remembered (<c>Gateway:Idempotency:Window</c>).</summary>
public sealed class IdempotencyOptions
{
    public const string Section = "Gateway:Idempotency";

    /// <summary>
    /// A key older than this no longer replays: the same key starts a new request. The retention job purges the
    /// records once they are past it.
    /// </summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromHours(24);
}
