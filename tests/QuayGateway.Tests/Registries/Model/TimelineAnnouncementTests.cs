using System.Net;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using QuayGateway.Persistence;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Registries.Model;

/// <summary>
/// How committed timeline entries reach the event streams without costing every write: commits signal after they
/// commit (never from inside the transaction, where a NOTIFY would serialize every commit on PostgreSQL's
/// notification-queue lock), one announcement carries many commits, and a replica's feed reads the timeline only
/// while some stream follows it. Against the real PostgreSQL of the shared gateway.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TimelineAnnouncementTests(GatewayFixture gateway)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_timeline_write_signals_once_it_commits_and_not_on_rollback()
    {
        var registry = await CreateRegistryAsync("signal");
        var signalled = 0;
        await using var db = Context(new CommitSignals([new CommitSignal(typeof(RegistryEvent), () => Interlocked.Increment(ref signalled))]));
        var row = await db.Registries.SingleAsync(r => r.Id == registry);

        // SaveChanges on its own commits: the signal follows at once.
        db.Record(row, TimelineEntryType.Drift, "Saved", "saved alone", DateTimeOffset.UtcNow);
        await db.SaveChangesAsync();
        Assert.Equal(1, signalled);

        // Inside a transaction the entry is not visible before the commit, so neither is the signal.
        db.ChangeTracker.Clear();
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            db.Record(row, TimelineEntryType.Drift, "InTransaction", "saved in a transaction", DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
            Assert.Equal(1, signalled);
            await tx.CommitAsync();
        }

        Assert.Equal(2, signalled);

        // A rolled-back entry is never announced.
        db.ChangeTracker.Clear();
        await using (var tx = await db.Database.BeginTransactionAsync())
        {
            db.Record(row, TimelineEntryType.Drift, "RolledBack", "never committed", DateTimeOffset.UtcNow);
            await db.SaveChangesAsync();
            await tx.RollbackAsync();
        }

        Assert.Equal(2, signalled);

        // A save without timeline rows signals nothing. The registry's apply job may change the row meanwhile, so the
        // change is made as the gateway makes it: again on the row read afresh after a conflict (a failed save commits
        // nothing and signals nothing).
        db.ChangeTracker.Clear();
        await db.SaveWithRetryAsync(async (_, ct) =>
        {
            var reread = await db.Registries.SingleAsync(r => r.Id == registry, ct);
            reread.UpdatedAt = DateTimeOffset.UtcNow;
            return true;
        }, CancellationToken.None);
        Assert.Equal(2, signalled);
    }

    [Fact]
    public async Task Announcements_coalesce_and_reach_a_listener_on_the_timeline_channel()
    {
        await using var listener = new NpgsqlConnection(gateway.ConnectionString);
        await listener.OpenAsync();
        var heard = 0;
        listener.Notification += (_, e) =>
        {
            if (e.Channel == TimelineFeed.Channel)
            {
                Interlocked.Increment(ref heard);
            }
        };
        await using (var listen = new NpgsqlCommand($"LISTEN {TimelineFeed.Channel}", listener))
        {
            await listen.ExecuteNonQueryAsync();
        }

        await using var database = NpgsqlDataSource.Create(gateway.ConnectionString);
        using var announcer = new TimelineAnnouncer(database, NullLogger<TimelineAnnouncer>.Instance);
        for (var i = 0; i < 100; i++)
        {
            announcer.Announce(); // before it runs: one announcement is due, however many commits asked
        }

        await announcer.StartAsync(CancellationToken.None);
        try
        {
            await GatewayFixture.EventuallyAsync(() => Task.FromResult(announcer.Sent), sent => sent >= 1, Wait);
            using var waiting = new CancellationTokenSource(Wait);
            while (Volatile.Read(ref heard) == 0)
            {
                await listener.WaitAsync(waiting.Token);
            }

            Assert.Equal(1, announcer.Sent);
        }
        finally
        {
            await announcer.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task A_feed_no_stream_follows_reads_nothing_and_the_first_stream_wakes_it()
    {
        await using var database = NpgsqlDataSource.Create(gateway.ConnectionString);
        using var feed = new TimelineFeed(database, NullLogger<TimelineFeed>.Instance);
        await feed.StartAsync(CancellationToken.None);
        try
        {
            // Notifications while nobody follows: no read at all.
            for (var i = 0; i < 5; i++)
            {
                feed.Wake();
                await Task.Delay(50);
            }

            Assert.False(feed.IsLive);
            Assert.Equal(0, feed.Reads);

            using var waiting = new CancellationTokenSource(Wait);
            var following = await feed.FollowAsync(waiting.Token);
            Assert.True(feed.IsLive);
            var readsWhenLive = feed.Reads;
            Assert.True(readsWhenLive >= 1);

            // What commits now reaches the follower from memory.
            var registry = await CreateRegistryAsync("feed");
            var tenant = await gateway.WithDbAsync(db => db.Registries.Where(r => r.Id == registry).Select(r => r.Tenant).SingleAsync());
            var filter = new TimelineFilter(tenant, registry);
            var seen = new List<TimelineRecord>();
            var position = TimelinePosition.Start;
            Assert.False(feed.TryRead(position, filter, seen, out _, out _)); // older than the feed: the table's job
            position = await TimelineQueries.NowAsync(database, waiting.Token);

            await using (var insert = database.CreateCommand(
                             "INSERT INTO gateway.registry_events (registry_id, at, type, state, message) VALUES ($1, now(), 'Drift', 'Accepted', 'from memory')"))
            {
                insert.Parameters.AddWithValue(registry);
                await insert.ExecuteNonQueryAsync(waiting.Token);
            }

            feed.Wake();
            while (!seen.Any(e => e.Message == "from memory"))
            {
                Assert.True(feed.TryRead(position, filter, seen, out var covered, out var advanced));
                position = covered;
                if (!seen.Any(e => e.Message == "from memory"))
                {
                    feed.Wake();
                    await Task.WhenAny(advanced, Task.Delay(200, waiting.Token));
                }
            }

            // The last stream leaves: after IdleAfter the feed goes dormant and reads no more.
            following.Dispose();
            await Task.Delay(TimelineFeed.IdleAfter + TimeSpan.FromMilliseconds(500), waiting.Token);
            await GatewayFixture.EventuallyAsync(() => { feed.Wake(); return Task.FromResult(feed.IsLive); }, live => !live, Wait);
            var readsWhenDormant = feed.Reads;
            feed.Wake();
            await Task.Delay(200, waiting.Token);
            Assert.Equal(readsWhenDormant, feed.Reads);
            Assert.False(feed.TryRead(position, filter, [], out _, out _));

            // And a new follower finds it live again.
            using var again = await feed.FollowAsync(waiting.Token);
            Assert.True(feed.IsLive);
        }
        finally
        {
            await feed.StopAsync(CancellationToken.None);
        }
    }

    private async Task<Guid> CreateRegistryAsync(string prefix)
    {
        using var response = await gateway.Client().PostJsonAsync("/v1/registries",
            new CreateRegistryRequest($"{prefix}-{Guid.NewGuid():N}"[..20], $"{prefix}-{Guid.NewGuid():N}"[..20]));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.ReadAsync<RegistryResponse>()).Id;
    }

    private GatewayDb Context(CommitSignals signals)
    {
        var options = new DbContextOptionsBuilder<GatewayDb>();
        options.UseGatewayDb(gateway.ConnectionString).AddInterceptors(signals);
        return new GatewayDb(options.Options);
    }
}
