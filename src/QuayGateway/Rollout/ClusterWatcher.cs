using System.Collections.Concurrent;
using k8s;
using k8s.Autorest;
using Npgsql;
using QuayGateway.Clusters;
using QuayGateway.Persistence;

namespace QuayGateway.Rollout;

/// <summary>
/// One watch per cluster on QuayRegistries, across all replicas: the replica holding a PostgreSQL advisory lock for
/// the cluster watches; if it dies its session ends, the lock frees, and another replica takes over within
/// <see cref="WatchOptions.LeaderRetryInterval"/>. The watch resumes from its resourceVersion and re-lists on 410 Gone.
/// </summary>
public sealed class ClusterWatcher(
    ClusterConnections clusters,
    IServiceScopeFactory scopes,
    IConfiguration configuration,
    Microsoft.Extensions.Options.IOptions<WatchOptions> options,
    RolloutMetrics metrics,
    ILogger<ClusterWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The sessions are named after the replica, so pg_locks tells every replica who watches (WatchLeadership),
        // and pg_stat_activity how many replicas share the watches (WatchShare).
        var connectionString = new NpgsqlConnectionStringBuilder(configuration.GetConnectionString(PersistenceSetup.ConnectionStringName)!)
        {
            ApplicationName = WatchLeadership.ApplicationNamePrefix + options.Value.ReplicaName,
            // Leadership is the session's advisory lock, so closing the session must end it. A pooled connection keeps
            // its session, and the lock with it, until the pool hands it out again (Npgsql resets it on next use): a
            // cluster shed or given up after an error stayed locked, and pg_locks named this replica as its watcher.
            Pooling = false,
        }.ConnectionString;
        var share = new WatchShare(connectionString, clusters.Names.Count, options.Value.LeaderRetryInterval, logger);
        var counting = share.RunAsync(stoppingToken);
        await share.Counted;
        await Task.WhenAll(clusters.Names.Select(name => LeadAndWatchAsync(name, connectionString, share, stoppingToken)).Append(counting));
    }

    private async Task LeadAndWatchAsync(string cluster, string connectionString, WatchShare share, CancellationToken stoppingToken)
    {
        var unwatchedFor = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            var shed = false;
            try
            {
                await using var session = new NpgsqlConnection(connectionString);
                await session.OpenAsync(stoppingToken);
                // The lock first, then a place in the share: trying a cluster another replica watches takes no place, so
                // this replica's tries (all its clusters' loops wake together) cannot fill its share with clusters it
                // will not get while a free one waits for the next round. A cluster nobody watches is taken beyond the
                // share only once it has stayed so for a few tries.
                var led = await TryLeadAsync(session, cluster, stoppingToken);
                unwatchedFor = led ? unwatchedFor + 1 : 0;
                using var lease = led ? share.TryTake(force: unwatchedFor >= WatchShare.OrphanAfterIntervals) : null;
                if (lease is null)
                {
                    // Closing the session frees the lock, if held: a replica with room takes the cluster at its next try,
                    // and no connection is held while waiting.
                    await session.DisposeAsync();
                    await Task.Delay(options.Value.LeaderRetryInterval, stoppingToken);
                    continue;
                }

                unwatchedFor = 0;
                logger.LogInformation("This replica ({Replica}) now watches cluster {Cluster}", options.Value.ReplicaName, cluster);
                using var leadership = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var keepAlive = KeepSessionAsync(session, leadership, () =>
                {
                    shed = lease.TryShed();
                    if (shed)
                    {
                        // Closing the session frees the lock; a replica below its share takes the cluster over.
                        logger.LogInformation("This replica ({Replica}) hands cluster {Cluster} over to spread the watches", options.Value.ReplicaName, cluster);
                    }

                    return shed;
                });
                metrics.SetWatching(cluster, watching: true);
                try
                {
                    await WatchAsync(clusters.Get(cluster), leadership.Token);
                }
                finally
                {
                    // A watch that ended by an error gives the cluster up as well: the next lead re-lists.
                    await leadership.CancelAsync();
                    await keepAlive;
                    metrics.SetWatching(cluster, watching: false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (shed)
            {
                await Task.Delay(options.Value.LeaderRetryInterval, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                // Whatever ended it (PostgreSQL, the cluster, anything else), the cluster is led and watched again: a
                // replica that gave up here would leave its clusters to the minute resync for as long as it runs.
                logger.LogWarning("Watch of cluster {Cluster} interrupted: {Error}: {Message}; retrying", cluster, e.GetType().Name, e.Message);
                await Task.Delay(options.Value.LeaderRetryInterval, stoppingToken);
            }
        }
    }

    private static async Task<bool> TryLeadAsync(NpgsqlConnection session, string cluster, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", session);
        command.Parameters.AddWithValue(WatchLeadership.LockName(cluster));
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Leadership lasts as long as the session: when the database connection fails, stop watching.</summary>
    /// <remarks>It also gives the watch up when <paramref name="shed"/> says this replica holds more than its share.</remarks>
    private async Task KeepSessionAsync(NpgsqlConnection session, CancellationTokenSource leadership, Func<bool> shed)
    {
        try
        {
            while (!leadership.IsCancellationRequested)
            {
                await Task.Delay(options.Value.LeaderRetryInterval, leadership.Token);
                if (shed())
                {
                    await leadership.CancelAsync();
                    return;
                }

                await using var ping = new NpgsqlCommand("SELECT 1", session);
                await ping.ExecuteScalarAsync(leadership.Token);
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        catch (NpgsqlException)
        {
            logger.LogWarning("Lost the database session; giving up the watch");
            await leadership.CancelAsync();
        }
    }

    /// <summary>
    /// Four cluster-wide watches, each listed first, resumed from its resourceVersion and re-listed on 410 Gone:
    /// QuayRegistries, and the pods, jobs and HPAs the operator labels with their registry. Every event marks its
    /// registry in one work queue, so a registry's status and workloads are written together, in order.
    /// </summary>
    private async Task WatchAsync(ClusterClient cluster, CancellationToken leadership)
    {
        // One of the four failing ends them all, so the failure reaches the caller (which leads and lists again) instead
        // of leaving this cluster's QuayRegistries unwatched while the other three run on.
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(leadership);
        var ct = failed.Token;
        async Task EndAllOnFailure(Task watch)
        {
            try
            {
                await watch;
            }
            catch (Exception) when (!ct.IsCancellationRequested)
            {
                await failed.CancelAsync();
                throw;
            }
        }

        var cache = new WorkloadCache();
        var queue = new KeyedWorkQueue<WatchItem>(options.Value.Workers, async (item, token) =>
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<WatchEventRouter>().ObserveAsync(
                cluster.Name, item.Key, item.Type, item.Registry, item.Workloads ? cache.Snapshot(item.Key) : null, token);
        }, logger, WatchItem.Merge);
        var gathering = new ConcurrentDictionary<string, byte>(StringComparer.Ordinal);
        void WorkloadsChanged(string key)
        {
            if (gathering.TryAdd(key, 0))
            {
                _ = Task.Delay(options.Value.WorkloadBatchInterval, ct).ContinueWith(_ =>
                {
                    gathering.TryRemove(key, out var _);
                    queue.Add(key, new WatchItem(key, null, null, Workloads: true));
                }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            }
        }

        var workers = queue.RunAsync(ct);
        try
        {
            await Task.WhenAll(new[]
            {
                ListAndWatchAsync(cluster.Name, "quayregistries", async token =>
                {
                    await using var scope = scopes.CreateAsyncScope();
                    return await scope.ServiceProvider.GetRequiredService<WatchEventRouter>()
                        .RelistAsync(cluster, item => queue.Add(Key(item), new WatchItem(Key(item), WatchEventType.Modified, item, false)), token);
                }, (resourceVersion, onError) => cluster.WatchQuayRegistriesAsync(resourceVersion, onError, ct).Select(e =>
                {
                    if (e.Type != WatchEventType.Bookmark)
                    {
                        queue.Add(Key(e.Object), new WatchItem(Key(e.Object), e.Type, e.Object, false));
                    }

                    return e.Object.Metadata.ResourceVersion;
                }), ct),
            }.Concat(Enum.GetValues<WorkloadKind>().Select(kind => ListAndWatchAsync(cluster.Name, kind.ToString().ToLowerInvariant(), async token =>
                {
                    var (items, resourceVersion) = await cluster.ListWorkloadsAsync(kind, token);
                    foreach (var e in items.Where(e => e.RegistryKey is not null && cache.Set(e.RegistryKey, e.ObjectKey, e.Fact)))
                    {
                        WorkloadsChanged(e.RegistryKey!);
                    }

                    // Objects deleted while no watch ran are not in the list: forget them.
                    foreach (var key in cache.Retain($"{kind}/", items.Select(e => $"{e.RegistryKey}|{e.ObjectKey}").ToHashSet(StringComparer.Ordinal)))
                    {
                        WorkloadsChanged(key);
                    }

                    return resourceVersion;
                }, (resourceVersion, onError) => cluster.WatchWorkloadsAsync(kind, resourceVersion, onError, ct).Select(e =>
                {
                    if (e.Type != WatchEventType.Bookmark && e.RegistryKey is not null
                        && cache.Set(e.RegistryKey, e.ObjectKey, e.Type == WatchEventType.Deleted ? null : e.Fact))
                    {
                        WorkloadsChanged(e.RegistryKey);
                    }

                    return e.ResourceVersion;
                }), ct))).Select(EndAllOnFailure));
        }
        finally
        {
            await workers.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// List, then watch from the list's resourceVersion; a dropped watch resumes from the last one seen, a 410 Gone
    /// (or a failed list) lists again. <paramref name="watch"/> handles each event and yields its resourceVersion.
    /// </summary>
    private async Task ListAndWatchAsync(string cluster, string resource, Func<CancellationToken, Task<string?>> list,
        Func<string, Action<Exception>, IAsyncEnumerable<string?>> watch, CancellationToken ct)
    {
        string? resourceVersion = null;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                resourceVersion ??= await list(ct);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // The cluster, or PostgreSQL while the re-list looks for vanished objects (a timeout, or a pooled
                // connection a database restart broke). Escaping, it used to end this one watch silently while the
                // replica kept the cluster and its other watches: no QuayRegistry news until the lease ended.
                logger.LogWarning("Listing {Resource} of {Cluster} failed: {Message}; retrying", resource, cluster, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                continue;
            }

            var gone = false;
            Exception? failure = null;
            try
            {
                await foreach (var seen in watch(resourceVersion ?? "", e =>
                               {
                                   gone |= e is KubernetesException { Status.Code: 410 };
                                   failure = e;
                               }))
                {
                    resourceVersion = seen ?? resourceVersion;
                }
            }
            catch (Exception e) when (e is HttpOperationException or HttpRequestException or IOException or KubernetesException)
            {
                gone |= e is KubernetesException { Status.Code: 410 } or HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.Gone };
                failure = e;
            }

            if (gone)
            {
                logger.LogInformation("Watch of {Resource} on {Cluster} expired (410 Gone); re-listing", resource, cluster);
                resourceVersion = null;
            }
            else if (failure is not null && !ct.IsCancellationRequested)
            {
                logger.LogWarning("Watch of {Resource} on {Cluster} failed: {Message}; resuming from {ResourceVersion}", resource, cluster, failure.Message, resourceVersion);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }
    }

    private static string Key(QuayRegistryResource item) => $"{item.Metadata.NamespaceProperty}/{item.Metadata.Name}";

    /// <summary>What is pending for one registry: its latest QuayRegistry event, and whether its workloads changed.</summary>
    private sealed record WatchItem(string Key, WatchEventType? Type, QuayRegistryResource? Registry, bool Workloads)
    {
        public static WatchItem Merge(WatchItem older, WatchItem newer) => newer.Registry is null
            ? older with { Workloads = true }
            : newer with { Workloads = older.Workloads || newer.Workloads };
    }
}
