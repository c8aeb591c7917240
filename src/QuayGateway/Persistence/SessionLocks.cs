using Npgsql;

namespace QuayGateway.Persistence;

/// <summary>
/// PostgreSQL session advisory locks, each held by a connection of its own for as long as the work it guards (one
/// worker per webhook delivery queue, one replica migrating at a time). The connections come from a pool of their own
/// that keeps Npgsql's session reset, so a lock can never ride a pooled connection into other work; the gateway's main
/// pool skips that reset (<see cref="PersistenceSetup.WithPoolDefaults"/>) because nothing on it holds session state.
/// </summary>
public sealed class SessionLocks(string connectionString) : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(
        new NpgsqlConnectionStringBuilder(connectionString) { NoResetOnClose = false }.ConnectionString);

    /// <summary>Takes the lock if no other session holds it; <c>null</c> if one does.</summary>
    public Task<SessionLock?> TryAcquireAsync(string name, CancellationToken ct) =>
        AcquireAsync("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", name, ct);

    /// <summary>Waits for the lock, for as long as it takes (until <paramref name="ct"/> is cancelled).</summary>
    public async Task<SessionLock> AcquireAsync(string name, CancellationToken ct) =>
        (await AcquireAsync("SELECT true FROM pg_advisory_lock(hashtextextended($1, 0))", name, ct))!;

    private async Task<SessionLock?> AcquireAsync(string sql, string name, CancellationToken ct)
    {
        var connection = await _dataSource.OpenConnectionAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0, Parameters = { new() { Value = name } } };
            if ((bool)(await command.ExecuteScalarAsync(ct))!)
            {
                return new SessionLock(connection, name, _dataSource);
            }
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }

        await connection.DisposeAsync();
        return null;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

/// <summary>A held session lock: disposing it releases the lock and returns its connection.</summary>
public sealed class SessionLock(NpgsqlConnection connection, string name, NpgsqlDataSource pool) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        try
        {
            // Never cancelled: a lock left behind would outlive the work it guarded.
            await using var command = new NpgsqlCommand("SELECT pg_advisory_unlock(hashtextextended($1, 0))", connection) { Parameters = { new() { Value = name } } };
            await command.ExecuteScalarAsync(CancellationToken.None);
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            // A broken connection (InvalidOperationException once Npgsql knows it) ended its session and its locks;
            // any other is closed on return instead of going back to the pool, which ends them too.
            pool.Clear();
        }
        finally
        {
            await connection.DisposeAsync();
        }
    }
}
