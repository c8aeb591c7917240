using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace QuayGateway.Jobs;

/// <summary>
/// The Hangfire jobs one unit of work asked for, waiting to be enqueued: one row, committed in the same transaction as
/// the change that needs them.
/// </summary>
public sealed class OutboxJob
{
    public long Id { get; init; }

    /// <summary>
    /// The jobs as Hangfire serializes them (type, method, arguments), as a JSON array in the order they were asked
    /// for. The same job asked for twice (the webhook dispatcher, for each event) is in it once.
    /// </summary>
    public string Jobs { get; private set; } = "[]";

    /// <summary>The W3C trace context of the code that asked for the jobs, so each job's span continues its trace.</summary>
    public string? TraceParent { get; init; }

    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;

    /// <summary>Adds a job unless the row already has it. Only while the row is unsaved.</summary>
    internal void Add(PreparedJob job)
    {
        if (Jobs == "[]")
        {
            Jobs = $"[{job.Payload}]";
        }
        // A payload is a JSON object whose values are strings or arrays of strings, so it can only occur in the array
        // as a whole element.
        else if (!Jobs.Contains(job.Payload, StringComparison.Ordinal))
        {
            Jobs = string.Concat(Jobs.AsSpan(0, Jobs.Length - 1), ",", job.Payload, "]");
        }
    }

    /// <summary>Each job's payload, as <see cref="Hangfire.Storage.InvocationData.DeserializePayload"/> reads it.</summary>
    public IReadOnlyList<string> Payloads()
    {
        using var jobs = JsonDocument.Parse(Jobs);
        return [.. jobs.RootElement.EnumerateArray().Select(job => job.GetRawText())];
    }
}

internal sealed class OutboxJobConfiguration : IEntityTypeConfiguration<OutboxJob>
{
    public void Configure(EntityTypeBuilder<OutboxJob> builder)
    {
        builder.ToTable("outbox_jobs");
        builder.HasKey(j => j.Id);
        builder.Property(j => j.TraceParent).HasMaxLength(128);
    }
}
