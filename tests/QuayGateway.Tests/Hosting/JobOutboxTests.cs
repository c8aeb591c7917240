using System.Net;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Npgsql;
using QuayGateway.Registries;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>Jobs asked for by a request are in PostgreSQL with it (the job outbox) and reach Hangfire afterwards.</summary>
[Collection(GatewayCollection.Name)]
public sealed class JobOutboxTests(GatewayFixture gateway)
{
    [Fact]
    public async Task The_apply_job_is_committed_with_the_registry_and_then_enqueued()
    {
        // The outbox row commits in the request's transaction; the dispatcher then moves it into Hangfire and deletes it.
        using var response = await gateway.Client().PostJsonAsync("/v1/registries",
            new CreateRegistryRequest("outbox-" + Guid.NewGuid().ToString("N")[..8], "outbox"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.ReadAsync<RegistryResponse>()).Id;

        var (state, left) = await GatewayFixture.EventuallyAsync(
            () => gateway.WithDbAsync(async db => (
                (await db.Registries.AsNoTracking().SingleAsync(r => r.Id == id)).State,
                await db.OutboxJobs.CountAsync(j => j.Job.Contains(id.ToString())))),
            s => s.Item1 != RegistryState.Accepted && s.Item2 == 0);
        Assert.Equal(0, left);
        Assert.NotEqual(RegistryState.Accepted, state);
    }

    [Fact]
    public async Task A_job_committed_by_a_process_that_died_before_enqueuing_it_still_runs()
    {
        // A registry and its apply job committed, and nothing woke the dispatcher (the process died right after the
        // commit): written with plain SQL, as another replica would have left it. The dispatcher's poll finds it.
        var registry = new Registry
        {
            Tenant = "default", Cluster = "sandbox", Namespace = "crashed", Name = "crash-" + Guid.NewGuid().ToString("N")[..8],
            Spec = RegistrySpec.From(new CreateRegistryRequest("crashed", "crashed")),
        };
        await gateway.WithDbAsync(async db =>
        {
            db.Registries.Add(registry);
            return await db.SaveChangesAsync();
        });
        var job = InvocationData.SerializeJob(Job.FromExpression<ApplyRegistryJob>(j => j.RunAsync(registry.Id, CancellationToken.None)));
        await using (var connection = new NpgsqlConnection(gateway.ConnectionString))
        {
            await connection.OpenAsync();
            await using var insert = new NpgsqlCommand(
                "INSERT INTO gateway.outbox_jobs (job, created_at) VALUES ($1, now())", connection)
            {
                Parameters = { new() { Value = job.SerializePayload() } },
            };
            await insert.ExecuteNonQueryAsync();
        }

        // Taken from the outbox by the dispatcher (the minutely resync job may re-enqueue the registry too, but it
        // never touches the outbox), and applied.
        var (state, left) = await GatewayFixture.EventuallyAsync(
            () => gateway.WithDbAsync(async db => (
                (await db.Registries.AsNoTracking().SingleAsync(r => r.Id == registry.Id)).State,
                await db.OutboxJobs.CountAsync(j => j.Job.Contains(registry.Id.ToString())))),
            s => s.Item1 != RegistryState.Accepted && s.Item2 == 0,
            TimeSpan.FromSeconds(15));
        Assert.Equal(0, left);
        Assert.NotEqual(RegistryState.Accepted, state);
    }

    [Fact]
    public void A_job_template_gives_the_payload_hangfire_gives_the_same_call()
    {
        var id = Guid.CreateVersion7();
        var expected = InvocationData.SerializeJob(Job.FromExpression<ApplyRegistryJob>(j => j.RunAsync(id, CancellationToken.None))).SerializePayload();

        Assert.Equal(expected, ApplyRegistryJob.For(id).Payload);
        Assert.NotEqual(ApplyRegistryJob.For(Guid.CreateVersion7()).Payload, ApplyRegistryJob.For(id).Payload);
        var job = InvocationData.DeserializePayload(ApplyRegistryJob.For(id).Payload).DeserializeJob();
        Assert.Equal(id, job.Args[0]);
    }
}
