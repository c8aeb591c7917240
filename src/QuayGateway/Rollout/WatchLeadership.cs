using Npgsql;

namespace QuayGateway.Rollout;

/// <summary>
/// Which replica watches a cluster: the one whose database session holds the cluster's advisory lock. The watch
/// session carries the replica's name as its application name, so any replica can tell from <c>pg_locks</c>.
/// </summary>
public static class WatchLeadership
{
    public const string ApplicationNamePrefix = "quay-gateway watch ";

    public static string LockName(string cluster) => $"quay-gateway/watch/{cluster}";

    /// <summary>The watching replica of each cluster that has one right now.</summary>
    public static async Task<Dictionary<string, string>> WatchersAsync(NpgsqlConnection connection, IEnumerable<string> clusters, CancellationToken ct)
    {
        // pg_locks splits a bigint advisory key into classid (high 32 bits) and objid (low 32 bits), objsubid 1.
        await using var command = new NpgsqlCommand("""
            SELECT c.name, a.application_name
            FROM unnest($1::text[], $2::text[]) AS c(name, lock_name)
            CROSS JOIN LATERAL (SELECT hashtextextended(c.lock_name, 0) AS key) k
            JOIN pg_locks l ON l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
                AND l.classid::bigint = (k.key >> 32) & 4294967295 AND l.objid::bigint = k.key & 4294967295
            JOIN pg_stat_activity a ON a.pid = l.pid
            """, connection);
        var names = clusters.ToArray();
        command.Parameters.AddWithValue(names);
        command.Parameters.AddWithValue(names.Select(LockName).ToArray());
        var watchers = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            var application = reader.IsDBNull(1) ? "" : reader.GetString(1);
            watchers[reader.GetString(0)] = application.StartsWith(ApplicationNamePrefix, StringComparison.Ordinal)
                ? application[ApplicationNamePrefix.Length..]
                : application;
        }

        return watchers;
    }
}
