using Hangfire;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
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
            Spec = new RegistrySpec([], null, null, null, [], new Dictionary<string, string>(), null),
            RolloutDeadline = DateTimeOffset.UtcNow.AddHours(1),
        };
        var jobs = gateway.Host.Services.GetRequiredService<IBackgroundJobClient>();
        // Its job exists before the row does, so no resync ever sees the row without it.
        var coming = jobs.Schedule<IApplyRegistryJob>(job => job.RunAsync(registry.Id, CancellationToken.None), TimeSpan.FromHours(1));
        var rows = new NewRowBatch();
        rows.Add(registry);
        rows.MoveTo(registry, RegistryState.Applying, "Applying", "Applying.", DateTimeOffset.UtcNow.AddMinutes(-5));
        await gateway.WithDbAsync(async db =>
        {
            await gateway.Host.Services.GetRequiredService<NewRowsWriter>().InsertAsync(db, rows, CancellationToken.None);
            return 0;
        });

        await RunResyncAsync();
        Assert.Equal(1, await ApplyJobsAsync(registry.Id)); // the one still coming, and no copy

        jobs.Delete(coming); // now it is lost
        await RunResyncAsync();
        Assert.Equal(2, await ApplyJobsAsync(registry.Id));
    }

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
