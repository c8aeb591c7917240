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
}
