using QuayGateway.Audit;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Audit;

/// <summary>Rate-limited requests (429) are summarised: one entry per actor and minute, with a count.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RateLimitSummaryTests(GatewayFixture gateway)
{
    private readonly AuditKit _kit = new(gateway);

    [Fact]
    public async Task Refusals_of_one_actor_in_one_minute_are_one_entry_with_their_count()
    {
        var tenant = AuditKit.NewTenant("audit-429");
        var (busy, other) = ("busy-" + tenant, "other-" + tenant);
        var minute = new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);

        for (var i = 0; i < 5; i++)
        {
            await RecordAsync(busy, tenant, minute.AddSeconds(i * 10));
        }

        await RecordAsync(other, tenant, minute.AddSeconds(5));
        await RecordAsync(busy, tenant, minute.AddMinutes(1).AddSeconds(1));
        await _kit.EntriesAsync(e => e.Tenant == tenant, count: 3);
        var first = await _kit.EntriesAsync(e => e.Actor == busy && e.At == minute && e.Count == 5);

        // Later refusals in the same minute, written in another batch, add to the same entry.
        await RecordAsync(busy, tenant, minute.AddSeconds(59));
        await RecordAsync(busy, tenant, minute.AddSeconds(58));
        var summary = await _kit.EntriesAsync(e => e.Actor == busy && e.At == minute && e.Count == 7);

        Assert.Single(first);
        Assert.Equal(first[0].Id, Assert.Single(summary).Id);
        var entries = await _kit.EntriesAsync(e => e.Tenant == tenant, count: 3);
        Assert.Equal(
            [(busy, minute, 7), (other, minute, 1), (busy, minute.AddMinutes(1), 1)],
            entries.OrderBy(e => e.At).ThenByDescending(e => e.Count).Select(e => (e.Actor, e.At, e.Count)).ToList());
        Assert.All(entries, e => Assert.Equal((AuditOutcomes.RateLimited, 429, "CreateRegistry"), (e.Outcome, e.Status, e.Action)));
    }

    private ValueTask RecordAsync(string actor, string tenant, DateTimeOffset at) => _kit.Recorder.RecordAsync(new AuditEntry
    {
        At = at, Actor = actor, Tenant = tenant, Action = "CreateRegistry", Target = "/v1/registries", Status = 429,
        Outcome = AuditOutcomes.RateLimited, RequestId = "req-" + Guid.NewGuid().ToString("N")[..8],
    });
}
