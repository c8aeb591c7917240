using Npgsql;

namespace QuayGateway.Benchmarks.Streams;

/// <summary>
/// Who writes and reads in a window, to explain a PostgreSQL transaction count: per table, the scans and the rows
/// inserted, updated and deleted (<c>pg_stat_user_tables</c>, every schema: the gateway's and Hangfire's), before and
/// after. Read-only transactions that touch no table (a <c>SELECT 1</c>, <c>pg_notify</c>) do not show here.
/// </summary>
internal sealed class DatabaseActivity(Dictionary<string, (long Scans, long Writes)> counts)
{
    private readonly Dictionary<string, (long Scans, long Writes)> _counts = counts;

    public static async Task<DatabaseActivity> ReadAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT pg_stat_force_next_flush();
            SELECT schemaname || '.' || relname, seq_scan + coalesce(idx_scan, 0), n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.NextResultAsync();
        var counts = new Dictionary<string, (long, long)>(StringComparer.Ordinal);
        while (await reader.ReadAsync())
        {
            counts[reader.GetString(0)] = (reader.GetInt64(1), reader.GetInt64(2));
        }

        return new DatabaseActivity(counts);
    }

    /// <summary>The tables touched since <paramref name="before"/>, busiest first: "table scans/writes".</summary>
    public string Since(DatabaseActivity before, int top = 6)
    {
        var changes = _counts
            .Select(c => (Table: c.Key, Scans: c.Value.Scans - before._counts.GetValueOrDefault(c.Key).Scans, Writes: c.Value.Writes - before._counts.GetValueOrDefault(c.Key).Writes))
            .Where(c => c.Scans > 0 || c.Writes > 0)
            .OrderByDescending(c => c.Scans + c.Writes)
            .Take(top)
            .Select(c => $"{c.Table} {c.Scans}/{c.Writes}")
            .ToList();
        return changes.Count == 0 ? "no table touched" : string.Join(", ", changes);
    }

    /// <summary>
    /// With <c>QG_STREAMS_TRACE=1</c>: logs every statement PostgreSQL runs until the returned trace is read, then counts
    /// them by their first words (the server's log, <c>log_statement = all</c>). A diagnosis of where transactions come
    /// from; it slows the server, so it is off in measured runs.
    /// </summary>
    public static async Task<Func<Task<string>>?> TraceAsync(string connectionString)
    {
        if (Environment.GetEnvironmentVariable("QG_STREAMS_TRACE") != "1")
        {
            return null;
        }

        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var dir = new NpgsqlCommand("SHOW data_directory", connection);
        var log = Path.Combine(Path.GetDirectoryName((string)(await dir.ExecuteScalarAsync())!)!, "server.log");
        var from = new FileInfo(log).Length;
        await using var on = new NpgsqlCommand("ALTER SYSTEM SET log_statement = 'all'; SELECT pg_reload_conf()", connection);
        await on.ExecuteNonQueryAsync();
        return async () =>
        {
            await using var off = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
            await off.OpenAsync();
            await using var reset = new NpgsqlCommand("ALTER SYSTEM RESET log_statement; SELECT pg_reload_conf()", off);
            await reset.ExecuteNonQueryAsync();
            await using var stream = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(from, SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            while (await reader.ReadLineAsync() is { } line)
            {
                var at = line.IndexOf("LOG:  ", StringComparison.Ordinal);
                if (at < 0 || !(line.Contains("statement: ", StringComparison.Ordinal) || line.Contains("execute ", StringComparison.Ordinal)))
                {
                    continue;
                }

                var text = line[(line.IndexOf(':', at + 6) + 1)..].Trim();
                var key = text.Length > 90 ? text[..90] : text;
                counts[key] = counts.GetValueOrDefault(key) + 1;
            }

            return string.Join("\n", counts.OrderByDescending(c => c.Value).Take(25).Select(c => $"    {c.Value,6}  {c.Key}"));
        };
    }
}
