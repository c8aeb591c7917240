using System.Diagnostics.Metrics;
using QuayGateway.Hosting;

namespace QuayGateway.Audit;

/// <summary>
/// Audit entries written and lost (<c>quaygateway.audit.entries</c> by outcome: written, dropped) and failed writes to
/// PostgreSQL (<c>quaygateway.audit.write_failures</c>), so that no entry is lost silently.
/// </summary>
public sealed class AuditMetrics(IMeterFactory meters)
{
    private readonly Counter<long> _entries = meters.Create(TelemetrySetup.MeterName).CreateCounter<long>(
        "quaygateway.audit.entries", "{entry}", "Audit entries by outcome: written or dropped.");

    private readonly Counter<long> _failures = meters.Create(TelemetrySetup.MeterName).CreateCounter<long>(
        "quaygateway.audit.write_failures", "{write}", "Failed writes of audit entries to PostgreSQL.");

    public void CountWritten(int entries) => _entries.Add(entries, new KeyValuePair<string, object?>("outcome", "written"));

    public void CountDropped(int entries) => _entries.Add(entries, new KeyValuePair<string, object?>("outcome", "dropped"));

    public void CountWriteFailure() => _failures.Add(1);
}
