using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Rollout;

/// <summary>The timeline of registries deleted long ago and idempotency records past their window are purged; the rest stays.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RetentionTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Old_timelines_of_deleted_registries_and_old_idempotency_records_are_purged_and_nothing_else()
    {
        var now = DateTimeOffset.UtcNow;
        var longDeleted = await InsertAsync(RegistryState.Deleted, now.AddDays(-100));
        var justDeleted = await InsertAsync(RegistryState.Deleted, now.AddMinutes(-1));
        var oldButLive = await InsertAsync(RegistryState.Ready, now.AddDays(-100));
        var oldKey = await InsertKeyAsync(now.AddDays(-2));
        var newKey = await InsertKeyAsync(now);

        for (var run = 0; run < 2; run++) // running twice changes nothing more
        {
            await using var scope = gateway.Host.Services.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);
        }

        Assert.Equal(0, await TimelineAsync(longDeleted));
        Assert.Equal(1, await TimelineAsync(justDeleted));
        Assert.Equal(1, await TimelineAsync(oldButLive));
        Assert.True(await gateway.WithDbAsync(db => db.Registries.AnyAsync(r => r.Id == longDeleted))); // the row itself stays
        var keys = await gateway.WithDbAsync(db => db.IdempotencyRecords.Where(r => r.Key == oldKey || r.Key == newKey).Select(r => r.Key).ToListAsync());
        Assert.Equal([newKey], keys);
    }

    private Task<int> TimelineAsync(Guid id) => gateway.WithDbAsync(db => db.RegistryEvents.CountAsync(e => e.RegistryId == id));

    private async Task<Guid> InsertAsync(RegistryState state, DateTimeOffset at)
    {
        var registry = new Registry
        {
            Tenant = "retention-tests", Cluster = "nowhere", Namespace = "retention", Name = "r-" + Guid.NewGuid().ToString("N")[..10],
            Spec = new RegistrySpec([], null, null, null, [], new Dictionary<string, string>(), null),
        };
        var rows = new NewRowBatch();
        rows.Add(registry);
        rows.MoveTo(registry, state, "Test", "Inserted by the retention test.", at);
        await WriteAsync(rows);
        return registry.Id;
    }

    private async Task<string> InsertKeyAsync(DateTimeOffset at)
    {
        var key = "retention-" + Guid.NewGuid().ToString("N");
        var rows = new NewRowBatch();
        rows.Add(new IdempotencyRecord { Tenant = "retention-tests", Key = key, RequestHash = "h", RegistryId = Guid.NewGuid(), ResponseBody = "{}", CreatedAt = at });
        await WriteAsync(rows);
        return key;
    }

    private async Task WriteAsync(NewRowBatch rows) => await gateway.WithDbAsync(async db =>
    {
        await gateway.Host.Services.GetRequiredService<NewRowsWriter>().InsertAsync(db, rows, CancellationToken.None);
        return 0;
    });
}
