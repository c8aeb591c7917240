using k8s;
using k8s.Autorest;
using Npgsql;
using QuayGateway.Persistence;
using QuayGateway.Rollout;

namespace QuayGateway.Clusters;

public sealed class WatchOptions
{
    public const string Section = "Gateway:Watch";

    /// <summary>How often a replica that is not watching a cluster tries to take over (well under 30 s).</summary>
    public TimeSpan LeaderRetryInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Parallel workers applying events; one registry is never processed by two at once.</summary>
    public int Workers { get; set; } = 8;
}

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
    ILogger<ClusterWatcher> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(clusters.Names.Select(name => LeadAndWatchAsync(name, stoppingToken)));

    private async Task LeadAndWatchAsync(string cluster, CancellationToken stoppingToken)
    {
        var connectionString = configuration.GetConnectionString(PersistenceSetup.ConnectionStringName)!;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var session = new NpgsqlConnection(connectionString);
                await session.OpenAsync(stoppingToken);
                if (!await TryLeadAsync(session, cluster, stoppingToken))
                {
                    await Task.Delay(options.Value.LeaderRetryInterval, stoppingToken);
                    continue;
                }

                logger.LogInformation("This replica now watches cluster {Cluster}", cluster);
                using var leadership = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                var keepAlive = KeepSessionAsync(session, leadership);
                await WatchAsync(clusters.Get(cluster), leadership.Token);
                await keepAlive;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or ClusterCallException or OperationCanceledException or HttpOperationException)
            {
                logger.LogWarning("Watch of cluster {Cluster} interrupted: {Message}; retrying", cluster, e.Message);
                await Task.Delay(options.Value.LeaderRetryInterval, stoppingToken);
            }
        }
    }

    private static async Task<bool> TryLeadAsync(NpgsqlConnection session, string cluster, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", session);
        command.Parameters.AddWithValue($"quay-gateway/watch/{cluster}");
        return (bool)(await command.ExecuteScalarAsync(ct))!;
    }

    /// <summary>Leadership lasts as long as the session: when the database connection fails, stop watching.</summary>
    private async Task KeepSessionAsync(NpgsqlConnection session, CancellationTokenSource leadership)
    {
        try
        {
            while (!leadership.IsCancellationRequested)
            {
                await Task.Delay(options.Value.LeaderRetryInterval, leadership.Token);
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

    private async Task WatchAsync(ClusterClient cluster, CancellationToken ct)
    {
        var queue = new KeyedWorkQueue<(WatchEventType Type, QuayRegistryResource Object)>(options.Value.Workers, async (item, token) =>
        {
            await using var scope = scopes.CreateAsyncScope();
            await scope.ServiceProvider.GetRequiredService<ClusterResync>().ObserveAsync(cluster.Name, item.Type, item.Object, token);
        }, logger);
        var workers = queue.RunAsync(ct);
        try
        {
            string? resourceVersion = null;
            while (!ct.IsCancellationRequested)
            {
                if (resourceVersion is null)
                {
                    await using var scope = scopes.CreateAsyncScope();
                    resourceVersion = await scope.ServiceProvider.GetRequiredService<ClusterResync>()
                        .RelistAsync(cluster, item => queue.Add(Key(item), (WatchEventType.Modified, item)), ct);
                }

                var gone = false;
                Exception? failure = null;
                await foreach (var (type, item) in cluster.WatchQuayRegistriesAsync(resourceVersion ?? "", e =>
                               {
                                   gone |= e is KubernetesException { Status.Code: 410 };
                                   failure = e;
                               }, ct))
                {
                    resourceVersion = item.Metadata.ResourceVersion ?? resourceVersion;
                    if (type != WatchEventType.Bookmark)
                    {
                        queue.Add(Key(item), (type, item));
                    }
                }

                if (gone)
                {
                    logger.LogInformation("Watch of {Cluster} expired (410 Gone); re-listing", cluster.Name);
                    resourceVersion = null;
                }
                else if (failure is not null && !ct.IsCancellationRequested)
                {
                    logger.LogWarning("Watch of {Cluster} failed: {Message}; resuming from {ResourceVersion}", cluster.Name, failure.Message, resourceVersion);
                    await Task.Delay(TimeSpan.FromSeconds(1), ct);
                }
            }
        }
        finally
        {
            await workers.ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    private static string Key(QuayRegistryResource item) => $"{item.Metadata.NamespaceProperty}/{item.Metadata.Name}";
}
