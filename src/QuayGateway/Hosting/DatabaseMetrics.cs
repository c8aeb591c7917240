using System.Diagnostics.Metrics;
using Npgsql;

namespace QuayGateway.Hosting;

/// <summary>
/// <c>quaygateway.database.up</c>: 1 when the gateway's PostgreSQL answered <c>SELECT 1</c> within 2 s, else 0. Checked
/// on scrape, at most every 5 s, so a burst of scrapes costs one query and a dead database one 2 s wait.
/// </summary>
public sealed class DatabaseMetrics
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;
    private bool _up;

    public DatabaseMetrics(IMeterFactory meters, NpgsqlDataSource dataSource, TimeProvider time)
    {
        _dataSource = dataSource;
        _time = time;
        meters.Create(TelemetrySetup.MeterName).CreateObservableGauge("quaygateway.database.up", () => IsUp() ? 1 : 0, "{database}",
            "1 when PostgreSQL answered SELECT 1 within 2 s (checked at most every 5 s), else 0.");
    }

    public bool IsUp()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (now - _readAt < Ttl)
            {
                return _up;
            }

            _up = Probe();
            _readAt = now;
            return _up;
        }
    }

    private bool Probe()
    {
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            return Task.Run(async () =>
            {
                await using var command = _dataSource.CreateCommand("SELECT 1");
                return await command.ExecuteScalarAsync(timeout.Token) is 1;
            }, timeout.Token).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is NpgsqlException or OperationCanceledException or TimeoutException or InvalidOperationException
                                      or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
