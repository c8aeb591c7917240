using Npgsql;

namespace QuayGateway.Persistence;

/// <summary>
/// A feature's interest in one PostgreSQL <c>NOTIFY</c> channel, registered with
/// <see cref="DatabaseNotificationsSetup.AddDatabaseNotificationHandler{T}"/>. Handlers run on the listener's loop: keep
/// them short and never let them block.
/// </summary>
public interface IDatabaseNotificationHandler
{
    string Channel { get; }

    void OnNotification(string payload);

    /// <summary>
    /// The listener (re)connected and listens again. What was sent while it was not listening is lost, so drop
    /// whatever those notifications would have invalidated. Also called at the first connect.
    /// </summary>
    void OnListening();
}

/// <summary>
/// One connection per replica that <c>LISTEN</c>s on every channel a handler asked for and hands each notification
/// to that channel's handlers. A lost connection is opened again (after 1 s, then up to 30 s apart); the handlers
/// then hear <see cref="IDatabaseNotificationHandler.OnListening"/>. A connection of its own, outside the pool:
/// a listening session must stay open, and must never be handed to a request.
/// </summary>
public sealed class DatabaseNotifications(
    string connectionString, IEnumerable<IDatabaseNotificationHandler> handlers, ILogger<DatabaseNotifications> logger)
    : BackgroundService
{
    /// <summary>The listener's <c>application_name</c> in <c>pg_stat_activity</c>, one per process.</summary>
    public static string ApplicationName => $"quay-gateway-listener:{Environment.ProcessId}";

    private static readonly TimeSpan IdleCheck = TimeSpan.FromSeconds(30);
    private readonly ILookup<string, IDatabaseNotificationHandler> _byChannel = handlers.ToLookup(h => h.Channel, StringComparer.Ordinal);

    public static void AddTo(IServiceCollection services, string connectionString)
    {
        services.AddSingleton(s => new DatabaseNotifications(
            connectionString, s.GetServices<IDatabaseNotificationHandler>(), s.GetRequiredService<ILogger<DatabaseNotifications>>()));
        services.AddHostedService(s => s.GetRequiredService<DatabaseNotifications>());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_byChannel.Count == 0)
        {
            return;
        }

        var retry = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(() => retry = TimeSpan.FromSeconds(1), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
            {
                logger.LogWarning(e, "Database notifications: connection lost; listening again in {Retry}", retry);
            }

            try
            {
                await Task.Delay(retry, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            retry = TimeSpan.FromSeconds(Math.Min(retry.TotalSeconds * 2, 30));
        }
    }

    private async Task ListenAsync(Action connected, CancellationToken ct)
    {
        var settings = new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false, ApplicationName = ApplicationName };
        await using var connection = new NpgsqlConnection(settings.ConnectionString);
        connection.Notification += (_, e) => Dispatch(e.Channel, e.Payload);
        await connection.OpenAsync(ct);
        foreach (var channel in _byChannel.Select(g => g.Key))
        {
            await using var listen = new NpgsqlCommand($"LISTEN \"{channel.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", connection);
            await listen.ExecuteNonQueryAsync(ct);
        }

        connected();
        foreach (var handler in _byChannel.SelectMany(g => g))
        {
            Run(handler, h => h.OnListening());
        }

        logger.LogInformation("Database notifications: listening on {Channels}", string.Join(", ", _byChannel.Select(g => g.Key)));
        while (true)
        {
            // A dead peer sends nothing; a query now and then finds out that the connection is gone.
            if (!await connection.WaitAsync(IdleCheck, ct))
            {
                await using var ping = new NpgsqlCommand("SELECT 1", connection);
                await ping.ExecuteNonQueryAsync(ct);
            }
        }
    }

    private void Dispatch(string channel, string payload)
    {
        foreach (var handler in _byChannel[channel])
        {
            Run(handler, h => h.OnNotification(payload));
        }
    }

    private void Run(IDatabaseNotificationHandler handler, Action<IDatabaseNotificationHandler> action)
    {
        try
        {
            action(handler);
        }
        catch (Exception e)
        {
            // One handler's bug must not stop the others from hearing, nor tear down the connection.
            logger.LogError(e, "Database notifications: the handler {Handler} of channel {Channel} failed", handler.GetType().Name, handler.Channel);
        }
    }
}

public static class DatabaseNotificationsSetup
{
    /// <summary>Registers <typeparamref name="T"/> (a singleton) for its channel on this replica's listener.</summary>
    public static IServiceCollection AddDatabaseNotificationHandler<T>(this IServiceCollection services)
        where T : class, IDatabaseNotificationHandler
    {
        services.AddSingleton<T>();
        services.AddSingleton<IDatabaseNotificationHandler>(s => s.GetRequiredService<T>());
        return services;
    }
}
