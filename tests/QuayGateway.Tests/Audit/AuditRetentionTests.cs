using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Audit;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Audit;

/// <summary>The retention job purges audit entries older than <c>Gateway:Audit:Retention</c> (90 days by default), and only those.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AuditRetentionTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Entries_past_retention_are_purged_and_a_second_run_changes_nothing()
    {
        var tenant = AuditKit.NewTenant("audit-retention");
        var now = DateTimeOffset.UtcNow;
        var ages = new[] { TimeSpan.FromDays(120), TimeSpan.FromDays(91), TimeSpan.FromDays(89), TimeSpan.FromMinutes(1) };
        await gateway.WithDbAsync(db =>
        {
            db.AuditEntries.AddRange(ages.Select(age => new AuditEntry
            {
                Id = Guid.NewGuid(), At = now - age, Actor = "retention", Tenant = tenant, Action = "CreateRegistry",
                Target = $"/v1/registries/age-{(int)age.TotalMinutes}", Outcome = AuditOutcomes.Succeeded, Status = 202, RequestId = "r",
            }));
            return db.SaveChangesAsync();
        });

        var left = new List<List<string>>();
        for (var run = 0; run < 2; run++)
        {
            await using (var scope = gateway.Host.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<RetentionJob>().RunAsync(CancellationToken.None);
            }

            left.Add(await gateway.WithDbAsync(db => db.AuditEntries.Where(e => e.Tenant == tenant).OrderBy(e => e.At).Select(e => e.Target).ToListAsync()));
        }

        Assert.Equal(["/v1/registries/age-128160", "/v1/registries/age-1"], left[0]);
        Assert.Equal(left[0], left[1]);
    }
}
