using System.Net;
using Hangfire.Common;
using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Quay;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Delivery;

namespace QuayGateway.Tests.Jobs;

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
                await db.OutboxJobs.CountAsync(j => j.Jobs.Contains(id.ToString())))),
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
                "INSERT INTO gateway.outbox_jobs (jobs, created_at) VALUES ($1, now())", connection)
            {
                Parameters = { new() { Value = $"[{job.SerializePayload()}]" } },
            };
            await insert.ExecuteNonQueryAsync();
        }

        // Taken from the outbox by the dispatcher (the minutely resync job may re-enqueue the registry too, but it
        // never touches the outbox), and applied.
        var (state, left) = await GatewayFixture.EventuallyAsync(
            () => gateway.WithDbAsync(async db => (
                (await db.Registries.AsNoTracking().SingleAsync(r => r.Id == registry.Id)).State,
                await db.OutboxJobs.CountAsync(j => j.Jobs.Contains(registry.Id.ToString())))),
            s => s.Item1 != RegistryState.Accepted && s.Item2 == 0,
            TimeSpan.FromSeconds(15));
        Assert.Equal(0, left);
        Assert.NotEqual(RegistryState.Accepted, state);
    }

    [Fact]
    public async Task A_unit_of_work_writes_one_row_with_each_job_once()
    {
        var registry = Guid.CreateVersion7();
        var apply = RegistryJobs.Apply(registry);
        var bootstrap = PreparedJob.Of<BootstrapJob>(j => j.RunAsync(registry, false, CancellationToken.None));
        await using var db = Context(gateway.ConnectionString);

        db.EnqueueJob(apply);
        db.EnqueueJob(bootstrap);
        db.EnqueueJob(apply);

        var row = Assert.Single(db.ChangeTracker.Entries<OutboxJob>()).Entity;
        Assert.Equal([apply.Payload, bootstrap.Payload], row.Payloads());
        Assert.Equal(registry, InvocationData.DeserializePayload(row.Payloads()[1]).DeserializeJob().Args[0]);

        db.ChangeTracker.Clear(); // a unit of work given up: the next one starts its own row
        db.EnqueueJob(bootstrap);
        Assert.Equal([bootstrap.Payload], Assert.Single(db.ChangeTracker.Entries<OutboxJob>()).Entity.Payloads());
    }

    [Fact]
    public async Task Rows_written_before_the_one_row_per_unit_of_work_migration_keep_their_job_both_ways()
    {
        var connectionString = await gateway.CreateDatabaseAsync("outbox");
        await using var db = Context(connectionString);
        var migrator = db.GetService<IMigrator>();
        await migrator.MigrateAsync("WatchedWorkloads");
        var apply = RegistryJobs.Apply(Guid.CreateVersion7()).Payload;
        await ExecuteAsync(connectionString, "INSERT INTO gateway.outbox_jobs (job, created_at) VALUES ($1, now())", apply);

        await migrator.MigrateAsync();
        Assert.Equal([apply], (await db.OutboxJobs.AsNoTracking().SingleAsync()).Payloads());

        // Down again: a row of two jobs becomes two rows of one.
        var dispatcher = PreparedJob.Of<WebhookDispatcher>(d => d.RunAsync(CancellationToken.None)).Payload;
        await ExecuteAsync(connectionString, "INSERT INTO gateway.outbox_jobs (jobs, created_at) VALUES ($1, now())", $"[{apply},{dispatcher}]");
        await migrator.MigrateAsync("WatchedWorkloads");
        Assert.Equal(new[] { apply, apply, dispatcher }.Order(), (await QueryStringsAsync(connectionString, "SELECT job FROM gateway.outbox_jobs")).Order());
    }

    [Fact]
    public void A_job_template_gives_the_payload_hangfire_gives_the_same_call()
    {
        var id = Guid.CreateVersion7();
        var expected = InvocationData.SerializeJob(Job.FromExpression<IApplyRegistryJob>(j => j.RunAsync(id, CancellationToken.None))).SerializePayload();

        Assert.Equal(expected, RegistryJobs.Apply(id).Payload);
        Assert.NotEqual(RegistryJobs.Apply(Guid.CreateVersion7()).Payload, RegistryJobs.Apply(id).Payload);
        var job = InvocationData.DeserializePayload(RegistryJobs.Apply(id).Payload).DeserializeJob();
        Assert.Equal(id, job.Args[0]);
    }

    private static GatewayDb Context(string connectionString)
    {
        var options = new DbContextOptionsBuilder<GatewayDb>();
        options.UseGatewayDb(connectionString);
        return new GatewayDb(options.Options);
    }

    private static async Task ExecuteAsync(string connectionString, string sql, params object[] values)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var value in values)
        {
            command.Parameters.Add(new() { Value = value });
        }

        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> QueryStringsAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync();
        var values = new List<string>();
        while (await reader.ReadAsync())
        {
            values.Add(reader.GetString(0));
        }

        return values;
    }
}
