using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Audit;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Audit;

/// <summary>An entry PostgreSQL refuses is logged at Error and counted; it does not take the entries around it along.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AuditWriteFailureTests(GatewayFixture gateway)
{
    private readonly AuditKit _kit = new(gateway);

    [Fact]
    public async Task A_refused_write_is_logged_at_error_counted_and_the_other_entries_are_stored()
    {
        var counts = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "QuayGateway" && instrument.Name.StartsWith("quaygateway.audit.", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var outcome = tags.ToArray().FirstOrDefault(t => t.Key == "outcome").Value;
            counts.AddOrUpdate($"{instrument.Name}:{outcome}", value, (_, total) => total + value);
        });
        listener.Start();
        using var logs = gateway.Logs.Record();
        var (poison, good) = ("poison-" + Guid.NewGuid().ToString("N"), "good-" + Guid.NewGuid().ToString("N"));

        // A tenant longer than the column: PostgreSQL refuses the row (a token's claim could be that long).
        await RecordAsync(poison, new string('t', 100));
        await RecordAsync(good, "audit-failure");

        await GatewayFixture.EventuallyAsync(() => Task.FromResult(counts.GetValueOrDefault("quaygateway.audit.entries:dropped")), n => n >= 1);
        await _kit.SingleAsync(e => e.Actor == good);

        Assert.Equal(1, counts.GetValueOrDefault("quaygateway.audit.entries:dropped"));
        Assert.True(counts.GetValueOrDefault("quaygateway.audit.write_failures:") >= 3);
        Assert.True(counts.GetValueOrDefault("quaygateway.audit.entries:written") >= 1);
        Assert.Contains(gateway.Logs.Entries, e => e.StartsWith("Error QuayGateway.Audit.AuditWriter: Audit entry dropped", StringComparison.Ordinal)
                                                   && e.Contains(poison, StringComparison.Ordinal));
        Assert.False(await gateway.WithDbAsync(db => db.AuditEntries.AnyAsync(e => e.Actor == poison)));
    }

    private ValueTask RecordAsync(string actor, string tenant) => _kit.Recorder.RecordAsync(new AuditEntry
    {
        Actor = actor, Tenant = tenant, Action = "CreateRegistry", Target = "/v1/registries", Status = 202,
        Outcome = AuditOutcomes.Succeeded, RequestId = "req-" + Guid.NewGuid().ToString("N")[..8],
    });
}
