using System.Threading.Channels;
using Microsoft.Extensions.Options;
using QuayGateway.Persistence;

namespace QuayGateway.Audit;

/// <summary>
/// Takes audit entries off the request path: a bounded channel that <see cref="AuditWriter"/> empties into PostgreSQL in
/// batches. A request only waits when the channel is full (PostgreSQL is behind or away); past
/// <see cref="AuditOptions.EnqueueTimeout"/> its entry is dropped, logged at Error and counted.
/// </summary>
public sealed class AuditRecorder
{
    private readonly Channel<AuditEntry> _channel;
    private readonly AuditOptions _options;
    private readonly AuditMetrics _metrics;
    private readonly ILogger<AuditRecorder> _logger;

    public AuditRecorder(IOptions<AuditOptions> options, AuditMetrics metrics, ILogger<AuditRecorder> logger)
    {
        _options = options.Value;
        _metrics = metrics;
        _logger = logger;
        _channel = Channel.CreateBounded<AuditEntry>(new BoundedChannelOptions(Math.Max(1, _options.Capacity))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    internal ChannelReader<AuditEntry> Pending => _channel.Reader;

    /// <summary>
    /// Queues an entry. An entry with status 429 becomes part of its actor's summary for that minute (its time is the
    /// minute's start; the writer adds it to the count).
    /// </summary>
    public ValueTask RecordAsync(AuditEntry entry)
    {
        var queued = Normalize(entry);
        return _channel.Writer.TryWrite(queued) ? ValueTask.CompletedTask : WaitForRoomAsync(queued);
    }

    /// <summary>
    /// The entry as it is stored: in UTC, with an id, its text clipped to one printable line within its column, and a
    /// 429's time at its minute's start.
    /// </summary>
    internal static AuditEntry Normalize(AuditEntry entry)
    {
        var at = entry.At == default ? DateTimeOffset.UtcNow : entry.At.ToUniversalTime();
        if (entry.Status == StatusCodes.Status429TooManyRequests)
        {
            at = new DateTimeOffset(at.Ticks - (at.Ticks % TimeSpan.TicksPerMinute), TimeSpan.Zero);
        }

        return new AuditEntry
        {
            Id = entry.Id == Guid.Empty ? Uuid7.New(at) : entry.Id,
            At = at,
            Actor = Clip(entry.Actor, AuditLimits.Actor),
            Tenant = entry.Tenant,
            Action = Clip(entry.Action, AuditLimits.Action),
            Target = Clip(entry.Target, AuditLimits.Target),
            Outcome = entry.Outcome,
            Status = entry.Status,
            RequestId = Clip(entry.RequestId, AuditLimits.RequestId),
            Count = Math.Max(1, entry.Count),
        };
    }

    private async ValueTask WaitForRoomAsync(AuditEntry entry)
    {
        using var timeout = new CancellationTokenSource(_options.EnqueueTimeout);
        try
        {
            await _channel.Writer.WriteAsync(entry, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            _metrics.CountDropped(1);
            _logger.LogError("Audit entry dropped: the recorder stayed full for {Timeout} ({Action} {Target} by {Actor}, status {Status}, request {RequestId})",
                _options.EnqueueTimeout, entry.Action, entry.Target, entry.Actor, entry.Status, entry.RequestId);
        }
    }

    /// <summary>Stored text: one line (PostgreSQL refuses NUL; a line break would forge a log line), within the column.</summary>
    private static string Clip(string value, int max)
    {
        var printable = Hosting.TextGuard.Printable(value);
        return printable.Length <= max ? printable : printable[..max];
    }
}
