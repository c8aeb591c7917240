namespace QuayGateway.Audit;

/// <summary><c>Gateway:Audit:*</c>: how long entries are kept, and how much the recorder may hold before it writes.</summary>
public sealed class AuditOptions
{
    public const string Section = "Gateway:Audit";

    /// <summary>Entries older than this are purged by the retention job.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(90);

    /// <summary>Entries waiting to be written; when full, a request waits for room (up to <see cref="EnqueueTimeout"/>).</summary>
    public int Capacity { get; set; } = 10_000;

    /// <summary>Entries per write to PostgreSQL.</summary>
    public int BatchSize { get; set; } = 500;

    /// <summary>How long a request waits for room in a full recorder before its entry is dropped (logged at Error and counted).</summary>
    public TimeSpan EnqueueTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
