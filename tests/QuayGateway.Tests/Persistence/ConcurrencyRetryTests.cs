using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Persistence;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Persistence;

/// <summary>
/// A retried optimistic-concurrency conflict tells its story at Information in one line, without a stack trace
/// (<see cref="ConcurrencyRetry"/>): forced here with two real writers of one row in the real PostgreSQL.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ConcurrencyRetryTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_conflict_that_is_retried_logs_one_information_line_and_the_change_is_saved_on_the_row_read_afresh()
    {
        using var created = await gateway.Client().PostJsonAsync("/v1/registries",
            new CreateRegistryRequest("retry-log", $"retry-{Guid.NewGuid():N}"[..20]));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.ReadAsync<RegistryResponse>()).Id;
        // Once Ready the rollout leaves the row alone, so the two writers below are the only ones.
        Assert.Equal(RegistryState.Ready, await GatewayFixture.EventuallyAsync(
            () => gateway.WithDbAsync(db => db.Registries.Where(r => r.Id == id).Select(r => r.State).SingleAsync()),
            s => s == RegistryState.Ready, TimeSpan.FromSeconds(60)));

        await using var scope = gateway.Host.Services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<GatewayDb>();
        var registry = await db.Registries.SingleAsync(r => r.Id == id);

        // Another writer saves the same row after it was read here: the version read here is stale now.
        var otherWrite = new DateTimeOffset(2031, 4, 5, 6, 7, 8, TimeSpan.Zero); // whole seconds: PostgreSQL keeps microseconds
        await gateway.WithDbAsync(async other =>
        {
            var row = await other.Registries.SingleAsync(r => r.Id == id);
            row.UpdatedAt = otherWrite;
            return await other.SaveChangesAsync();
        });

        var marker = new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero);
        var changes = new List<DateTimeOffset>();
        using (gateway.Logs.Record())
        {
            registry = await db.UpdateRegistryAsync(registry, r =>
            {
                changes.Add(r.UpdatedAt);
                r.UpdatedAt = marker;
            }, CancellationToken.None);
        }

        // The first attempt saw the stale row; the retry read it afresh (with the other writer's change) and saved over it.
        Assert.True(changes.Count >= 2, $"the change ran {changes.Count} time(s); no conflict was retried");
        Assert.NotEqual(otherWrite, changes[0]);
        Assert.Equal(otherWrite, changes[1]);
        Assert.Equal(marker, await gateway.WithDbAsync(other => other.Registries.Where(r => r.Id == id).Select(r => r.UpdatedAt).SingleAsync()));

        var entries = gateway.Logs.Entries;
        var retried = entries.Where(e => e.Contains("Concurrency conflict saving", StringComparison.Ordinal)).ToList();
        var line = retried.FirstOrDefault(e => e.StartsWith(
            $"Information {typeof(ConcurrencyRetry).FullName}: Concurrency conflict saving {nameof(Registry)} (attempt 1 of {ConcurrencyRetry.MaxAttempts}); retrying on rows read afresh",
            StringComparison.Ordinal));
        Assert.True(line is not null, "No retry line was logged:\n" + string.Join("\n", retried));
        Assert.Contains("Entities=Registry", line, StringComparison.Ordinal);
        Assert.Contains("Attempt=1", line, StringComparison.Ordinal);
        // Expected under contention: no exception, no stack trace, and nothing above Information about it.
        Assert.DoesNotContain(nameof(DbUpdateConcurrencyException), line, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", line, StringComparison.Ordinal);
        Assert.DoesNotContain(entries, e => (e.StartsWith("Warning", StringComparison.Ordinal) || e.StartsWith("Error", StringComparison.Ordinal))
                                            && e.Contains(nameof(DbUpdateConcurrencyException), StringComparison.Ordinal));
    }
}
