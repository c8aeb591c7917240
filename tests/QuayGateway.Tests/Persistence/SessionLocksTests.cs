using Npgsql;
using QuayGateway.Persistence;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Persistence;

/// <summary>Session locks live on connections of their own, so the main pool (no session reset) never carries one.</summary>
[Collection(GatewayCollection.Name)]
public sealed class SessionLocksTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_held_lock_excludes_others_until_it_is_disposed()
    {
        await using var locks = new SessionLocks(gateway.ConnectionString);
        var name = "test-lock-" + Guid.NewGuid();

        var held = await locks.TryAcquireAsync(name, CancellationToken.None);
        Assert.NotNull(held);
        Assert.Null(await locks.TryAcquireAsync(name, CancellationToken.None));
        Assert.True(await IsHeldAsync(name));

        await held.DisposeAsync();
        Assert.False(await IsHeldAsync(name));
        await using var again = await locks.TryAcquireAsync(name, CancellationToken.None);
        Assert.NotNull(again);
    }

    [Fact]
    public async Task Acquire_waits_for_the_holder_to_let_go()
    {
        await using var locks = new SessionLocks(gateway.ConnectionString);
        var name = "test-lock-" + Guid.NewGuid();
        var first = await locks.AcquireAsync(name, CancellationToken.None);

        var second = locks.AcquireAsync(name, CancellationToken.None);
        await Task.Delay(200);
        Assert.False(second.IsCompleted);

        await first.DisposeAsync();
        await using var acquired = await second.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(await IsHeldAsync(name));
    }

    [Fact]
    public async Task A_lock_whose_connection_broke_is_released_with_its_session()
    {
        await using var locks = new SessionLocks(gateway.ConnectionString);
        var name = "test-lock-" + Guid.NewGuid();
        var held = (await locks.TryAcquireAsync(name, CancellationToken.None))!;
        await TerminateSessionsHoldingAsync(name);

        await held.DisposeAsync(); // the unlock fails on the dead connection; nothing is thrown and nothing is left

        Assert.False(await IsHeldAsync(name));
        await using var again = await locks.TryAcquireAsync(name, CancellationToken.None);
        Assert.NotNull(again);
    }

    private async Task<bool> IsHeldAsync(string name)
    {
        await using var connection = new NpgsqlConnection(gateway.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT EXISTS (SELECT 1 FROM pg_locks
              WHERE locktype = 'advisory' AND granted AND objsubid = 1
                AND classid::bigint = (hashtextextended($1, 0) >> 32) & 4294967295 AND objid::bigint = hashtextextended($1, 0) & 4294967295)
            """, connection) { Parameters = { new() { Value = name } } };
        return (bool)(await command.ExecuteScalarAsync())!;
    }

    private async Task TerminateSessionsHoldingAsync(string name)
    {
        await using var connection = new NpgsqlConnection(gateway.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT pg_terminate_backend(pid) FROM pg_locks
              WHERE locktype = 'advisory' AND granted AND objsubid = 1
                AND classid::bigint = (hashtextextended($1, 0) >> 32) & 4294967295 AND objid::bigint = hashtextextended($1, 0) & 4294967295
            """, connection) { Parameters = { new() { Value = name } } };
        await command.ExecuteNonQueryAsync();
        await Task.Delay(100); // termination is asynchronous
    }
}
