using Npgsql;

namespace QuayGateway.Rollout;

/// <summary>
/// How many clusters this replica should watch, so that leadership spreads over the replicas instead of piling onto
/// the first one to start. Each watching replica keeps one presence session open, named like its watch sessions
/// (<see cref="WatchLeadership.ApplicationNamePrefix"/> and the replica's name), so <c>pg_stat_activity</c> tells every
/// replica how many watching replicas are alive and <c>pg_locks</c> how many clusters each holds. A replica takes at
/// most ceil(clusters / replicas); one holding more gives the extras up while another replica holds fewer than its
/// share (so nothing is released that nobody would take). A dead replica's sessions end, the count drops, and the
/// survivors' share grows: handover stays within <see cref="WatchOptions.LeaderRetryInterval"/> plus one refresh.
/// A cluster nobody has watched for <see cref="OrphanAfterIntervals"/> retry intervals is taken regardless of the
/// share, so an uneven configuration never leaves a cluster unwatched.
/// </summary>
public sealed class WatchShare(string connectionString, int clusters, TimeSpan refreshInterval, ILogger logger)
{
    public const int OrphanAfterIntervals = 3;

    private readonly object _gate = new();
    private int _held;
    private readonly int _clusters = clusters;
    private int _target = clusters; // alone until the first count says otherwise
    private bool _othersBelowShare;
    private readonly TaskCompletionSource _counted = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Done once replicas were counted (or the database could not be reached): start watching then.</summary>
    public Task Counted => _counted.Task;

    /// <summary>Clusters this replica should watch at most right now.</summary>
    public int Target
    {
        get
        {
            lock (_gate)
            {
                return _target;
            }
        }
    }

    /// <summary>Clusters this replica watches right now.</summary>
    public int Held
    {
        get
        {
            lock (_gate)
            {
                return _held;
            }
        }
    }

    /// <summary>A slot for one more cluster, or null when this replica has its share; <paramref name="force"/> ignores the share.</summary>
    public Lease? TryTake(bool force = false)
    {
        lock (_gate)
        {
            if (!force && _held >= _target)
            {
                return null;
            }

            _held++;
            return new Lease(this);
        }
    }

    /// <summary>Keeps the presence session open and refreshes the share every refresh interval until stopped.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var presence = new NpgsqlConnection(connectionString);
                await presence.OpenAsync(ct);
                while (!ct.IsCancellationRequested)
                {
                    await RefreshAsync(presence, ct);
                    _counted.TrySetResult();
                    await Task.Delay(refreshInterval, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                _counted.TrySetResult();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
            {
                logger.LogWarning("Watch share: database session lost ({Message}); counting replicas again shortly", e.Message);
                // Without a database nobody can lead anyway; the watches start and retry on their own.
                _counted.TrySetResult();
                try
                {
                    await Task.Delay(refreshInterval, ct);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RefreshAsync(NpgsqlConnection presence, CancellationToken ct)
    {
        // Every session of a watching replica carries its name; only its watch sessions hold advisory locks.
        await using var command = new NpgsqlCommand("""
            SELECT a.application_name, count(l.pid)
            FROM pg_stat_activity a
            LEFT JOIN pg_locks l ON l.pid = a.pid AND l.locktype = 'advisory' AND l.granted
            WHERE a.datname = current_database() AND starts_with(a.application_name, $1)
            GROUP BY a.application_name
            """, presence);
        command.Parameters.AddWithValue(WatchLeadership.ApplicationNamePrefix);
        var held = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync(ct))
        {
            while (await reader.ReadAsync(ct))
            {
                held[reader.GetString(0)] = reader.GetInt64(1);
            }
        }

        var self = new NpgsqlConnectionStringBuilder(connectionString).ApplicationName ?? "";
        var replicas = Math.Max(1, held.Count + (held.ContainsKey(self) ? 0 : 1));
        var target = Share(_clusters, replicas);
        lock (_gate)
        {
            if (target != _target)
            {
                logger.LogInformation("Watch share: {Replicas} watching replicas, so this one watches up to {Target} of {Clusters} clusters",
                    replicas, target, _clusters);
            }

            _target = target;
            _othersBelowShare = held.Any(p => p.Key != self && p.Value < target);
        }
    }

    /// <summary>ceil(clusters / replicas): every cluster has room somewhere, and no replica takes much more than another.</summary>
    public static int Share(int clusters, int replicas) => (clusters + Math.Max(1, replicas) - 1) / Math.Max(1, replicas);

    /// <summary>This replica's hold on one cluster's watch.</summary>
    public sealed class Lease(WatchShare share) : IDisposable
    {
        private bool _released;

        /// <summary>
        /// True when this replica holds more than its share and another replica has room: the caller then stops
        /// watching so that one takes over. At most the excess is shed, however many leases ask at once.
        /// </summary>
        public bool TryShed()
        {
            lock (share._gate)
            {
                if (_released || share._held <= share._target || !share._othersBelowShare)
                {
                    return false;
                }

                share._held--;
                _released = true;
                return true;
            }
        }

        public void Dispose()
        {
            lock (share._gate)
            {
                if (!_released)
                {
                    share._held--;
                    _released = true;
                }
            }
        }
    }
}
