using System.Diagnostics;
using Npgsql;
using QuayGateway.DevServices;

namespace QuayGateway.Benchmarks.Foundation;

/// <summary>
/// <c>foundation --profile</c>: where a create's time goes, over the measured POST rounds. PostgreSQL's side per
/// statement from <c>pg_stat_statements</c> (loaded by restarting the throwaway server before anything connects; its
/// execution time includes waiting for locks). Each process's CPU per request, the gateway's included, is
/// <see cref="CpuSplit"/>'s.
/// </summary>
public sealed class PostProfile
{
    private readonly string _connectionString;

    private PostProfile(string connectionString) => _connectionString = connectionString;

    public static async Task EnableAsync(DevPostgres postgres)
    {
        await ExecuteAsync(postgres.ConnectionString, "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'");
        await postgres.StopAsync();
        await postgres.ResumeAsync();
        await ExecuteAsync(postgres.ConnectionString, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
        // Planning is time the execution time leaves out: a statement planned again on every call (a custom plan, not
        // the prepared statement's generic one) shows as many plans as calls. Known only once the library is loaded.
        await ExecuteAsync(postgres.ConnectionString, "ALTER SYSTEM SET pg_stat_statements.track_planning = on");
        await ExecuteAsync(postgres.ConnectionString, "SELECT pg_reload_conf()");
    }

    public static async Task<PostProfile> StartAsync(string connectionString)
    {
        await ExecuteAsync(connectionString, "SELECT pg_stat_statements_reset()");
        return new PostProfile(connectionString);
    }

    /// <summary>A CPU split of the gateway process, this PostgreSQL server and this process (see <see cref="CpuSplit"/>).</summary>
    public static async Task<CpuSplit> CpuSplitAsync(string connectionString, int gatewayId)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SHOW data_directory", connection);
        var dataDirectory = (string)(await command.ExecuteScalarAsync())!;
        return CpuSplit.For(Process.GetProcessById(gatewayId), CpuSplit.PostmasterPid(dataDirectory));
    }

    public async Task PrintAsync(LoadResult gateway, LoadResult baseline)
    {
        Console.WriteLine($"profile: {gateway.Requests} creates, median {gateway.MedianMs:F2} ms; " +
                          $"PostgreSQL per statement (execution time includes lock waits), µs per create and per call:");
        await using var connection = new NpgsqlConnection(_connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT calls, total_exec_time, mean_exec_time, plans, total_plan_time, regexp_replace(query, '\s+', ' ', 'g')
            FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%' ORDER BY total_exec_time DESC LIMIT 15
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var text = reader.GetString(5);
            // DISCARD ALL is the baseline pool's reset: the gateway's pool skips it (No Reset On Close).
            var baselineStatement = text.Contains("INSERT INTO bench", StringComparison.OrdinalIgnoreCase) || text.Contains("baseline", StringComparison.OrdinalIgnoreCase)
                                    || text.StartsWith("DISCARD ALL", StringComparison.OrdinalIgnoreCase);
            var per = baselineStatement ? baseline.Requests : gateway.Requests;
            Console.WriteLine($"  {reader.GetInt64(0),8} calls {reader.GetDouble(1) * 1000 / per,8:F0} µs/{(baselineStatement ? "baseline create" : "create")} " +
                              $"{reader.GetDouble(2) * 1000,8:F0} µs/call, {reader.GetInt64(3),8} plans {reader.GetDouble(4) * 1000 / Math.Max(1, reader.GetInt64(3)),6:F0} µs/plan  {text[..Math.Min(text.Length, 160)]}");
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
