using Npgsql;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Chaos;

namespace QuayGateway.Tests.Rollout;

/// <summary>
/// The watch lists again when it takes a cluster (after a PostgreSQL restart), on 410 Gone and after a dropped watch;
/// that list also reads the registries, to find objects that vanished. A database error there used to end the
/// QuayRegistry watch alone, silently, while the replica kept the cluster and its other watches: registries became
/// Available in the cluster and stayed Progressing in PostgreSQL until the minute resync (the postgres-restart chaos
/// scenario's "6 accepted registries did not reach Ready: Progressing", when the resync came late). Driven here without
/// the luck of timing: the resync is off, the registries table is locked past the gateway's command timeout while the
/// watches are made to list again, and registries created afterwards must reach Ready by the watch alone.
/// </summary>
[Collection(ChaosTests.Name)]
public sealed class WatchAfterDatabaseErrorTests
{
    [Fact]
    public async Task A_relist_whose_database_read_fails_keeps_the_QuayRegistry_watch()
    {
        await using var env = await ChaosEnvironment.StartAsync(TimeSpan.FromMilliseconds(300));
        var gateway = await env.StartReplicaAsync(
            // No resync during the test (it would run once a year): what the watch does alone is what is tested.
            "--Gateway:Jobs:ResyncCron=0 0 1 1 *",
            $"--ConnectionStrings:Gateway={env.Postgres.ConnectionString};Maximum Pool Size=200;Command Timeout=3");
        using var client = ChaosEnvironment.Client(gateway);
        var (first, response) = await ChaosEnvironment.CreateAsync(client, "relist-error-0");
        response.Dispose();
        await ChaosEnvironment.WaitForStatesAsync(client, [first!.Value], TimeSpan.FromSeconds(90), RegistryState.Ready);

        await using (var blocker = new NpgsqlConnection(env.Postgres.ConnectionString + ";Pooling=false"))
        {
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var lockTable = new NpgsqlCommand("LOCK TABLE gateway.registries IN ACCESS EXCLUSIVE MODE", blocker, transaction))
            {
                await lockTable.ExecuteNonQueryAsync();
            }

            // Every watch gets 410 Gone when it resumes, so each lists again, and the QuayRegistry list's read of the
            // registries times out (3 s) behind the lock.
            env.Sandbox.Faults.ExpireNextWatches(4);
            env.Sandbox.Faults.CloseWatches();
            await Task.Delay(TimeSpan.FromSeconds(6));
            await transaction.RollbackAsync();
        }

        var (second, created) = await ChaosEnvironment.CreateAsync(client, "relist-error-1");
        created.Dispose();
        var final = await ChaosEnvironment.WaitForStatesAsync(client, [second!.Value], TimeSpan.FromSeconds(45), RegistryState.Ready);
        Assert.True(final.Values.All(s => s == RegistryState.Ready),
            $"not Ready: {string.Join(", ", final.Values)}\n{env.ReplicaOutput()}");
    }
}
