using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Clusters;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Rollout;

/// <summary>
/// The minutely resync re-enqueues a change whose job was lost, and only then: a rollout whose apply job is still coming
/// (here scheduled, as a retry waits) is late, not lost. A fleet created at once waits minutes in the queue, and a
/// second job for each waiting registry every minute made the queue grow faster than it drained.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ResyncTests(GatewayFixture gateway)
{
    [Fact]
    public async Task The_resync_re_enqueues_a_lost_apply_but_not_one_still_coming()
    {
        // Applying for five minutes, as a registry at the back of a long queue is.
        var registry = new Registry
        {
            Tenant = "resync-tests", Cluster = "sandbox", Namespace = ProvisioningScenario.UniqueNamespace("waiting"), Name = "waiting-apply",
            Spec = EmptySpec(),
            RolloutDeadline = DateTimeOffset.UtcNow.AddHours(1),
        };
        var jobs = gateway.Host.Services.GetRequiredService<IBackgroundJobClient>();
        // Its job exists before the row does, so no resync ever sees the row without it.
        var coming = jobs.Schedule<IApplyRegistryJob>(job => job.RunAsync(registry.Id, CancellationToken.None), TimeSpan.FromHours(1));
        var rows = new NewRowBatch();
        rows.Add(registry);
        rows.MoveTo(registry, RegistryState.Applying, "Applying", "Applying.", DateTimeOffset.UtcNow.AddMinutes(-5));
        await InsertAsync(rows);

        await RunResyncAsync();
        Assert.Equal(1, await ApplyJobsAsync(registry.Id)); // the one still coming, and no copy

        jobs.Delete(coming); // now it is lost
        await RunResyncAsync();
        Assert.Equal(2, await ApplyJobsAsync(registry.Id));
    }

    [Fact]
    public async Task A_database_error_in_one_clusters_relist_does_not_stop_the_clusters_after_it()
    {
        var clusters = gateway.Host.Services.GetRequiredService<ClusterConnections>().Names.ToList();
        Assert.True(clusters.Count >= 2, "the test host has two clusters");
        // In each cluster, a Ready registry whose QuayRegistry is gone: a re-list finds it missing and re-applies it.
        var registries = clusters.Select(cluster => new Registry
        {
            Tenant = "resync-tests", Cluster = cluster, Namespace = ProvisioningScenario.UniqueNamespace("gone"), Name = "gone",
            Spec = EmptySpec(),
            RolloutDeadline = DateTimeOffset.UtcNow.AddHours(1), AppliedSpecVersion = 1,
        }).ToList();
        var rows = new NewRowBatch();
        foreach (var registry in registries)
        {
            rows.Add(registry);
            rows.MoveTo(registry, RegistryState.Ready, "Ready", "Ready.", DateTimeOffset.UtcNow);
        }

        await InsertAsync(rows);

        // The database refuses any change to the first cluster's registry, as it would a row it cannot store.
        var refuses = "resync_test_refuses_" + registries[0].Id.ToString("N");
        await ExecuteAsync($"""
            CREATE FUNCTION gateway.{refuses}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
            CREATE TRIGGER {refuses} BEFORE UPDATE ON gateway.registries FOR EACH ROW
              WHEN (OLD.id = '{registries[0].Id}') EXECUTE FUNCTION gateway.{refuses}();
            """);
        try
        {
            var failed = await Assert.ThrowsAsync<AggregateException>(RunResyncAsync);
            Assert.IsType<DbUpdateException>(Assert.Single(failed.InnerExceptions));
            // Read while the trigger still refuses the first registry, so no other re-list can change it meanwhile. The
            // later ones are read by their timeline: the job server may already be applying them again.
            var ids = registries.Select(r => r.Id).ToList();
            var reapplied = await gateway.WithDbAsync(db => db.RegistryEvents.AsNoTracking()
                .Where(e => ids.Contains(e.RegistryId) && e.Reason == "QuayRegistryMissing")
                .Select(e => e.RegistryId).Distinct().ToListAsync());
            Assert.Equal(ids.Skip(1).Order(), reapplied.Order()); // every cluster after the refused one was re-listed
            var first = await gateway.WithDbAsync(db => db.Registries.AsNoTracking().SingleAsync(r => r.Id == ids[0]));
            Assert.Equal((RegistryState.Ready, RegistryHealth.Unknown), (first.State, first.Health)); // refused, unchanged
        }
        finally
        {
            await ExecuteAsync($"DROP TRIGGER {refuses} ON gateway.registries; DROP FUNCTION gateway.{refuses}();");
        }
    }

    private static RegistrySpec EmptySpec() => new([], null, null, null, [], new Dictionary<string, string>(), null);

    private Task<uint?> InsertAsync(NewRowBatch rows) =>
        gateway.WithDbAsync(db => gateway.Host.Services.GetRequiredService<NewRowsWriter>().InsertAsync(db, rows, CancellationToken.None));

    private Task<int> ExecuteAsync(string sql) => gateway.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(sql));

    private async Task RunResyncAsync()
    {
        await using var scope = gateway.Host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ResyncJob>().RunAsync(CancellationToken.None);
    }

    /// <summary>Apply jobs for the registry that Hangfire has, in any state.</summary>
    private Task<int> ApplyJobsAsync(Guid registryId) =>
        gateway.WithDbAsync(db => db.Database.SqlQuery<int>($"""
            SELECT count(*)::int AS "Value" FROM hangfire.job
            WHERE invocationdata->>'Type' LIKE '%IApplyRegistryJob%' AND arguments::text LIKE {"%" + registryId + "%"}
            """).SingleAsync());
}
