using Npgsql;

namespace QuayGateway.Registries.Model;

/// <summary>
/// Tells every replica's <see cref="TimelineFeed"/> that timeline entries committed: <c>NOTIFY gateway_timeline</c>,
/// sent after the commit rather than from inside the writing transaction. A transaction that notifies takes
/// PostgreSQL's one notification-queue lock at commit and holds it to the end of the commit, so with a trigger every
/// create queued behind every other (measured under load: most of a create's time was spent waiting on that lock at
/// COMMIT). Here a commit only sets a flag; one notification at a time per replica carries everything that committed
/// meanwhile, and the feeds read the table, not the payload. Writers outside this process announce the same way
/// (<c>SELECT pg_notify('gateway_timeline', '')</c> after their commit); the feeds' periodic re-read covers a writer
/// that does not.
/// </summary>
public sealed class TimelineAnnouncer(NpgsqlDataSource database, ILogger<TimelineAnnouncer> logger) : BackgroundService
{
    private readonly SemaphoreSlim _committed = new(0, 1);
    private long _sent;

    /// <summary>How many notifications this replica sent (for the benchmark and tests).</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Timeline entries committed: announce them soon. Never blocks; repeated calls coalesce.</summary>
    public void Announce()
    {
        try
        {
            _committed.Release();
        }
        catch (SemaphoreFullException)
        {
            // an announcement is due already, and will carry this one
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _committed.WaitAsync(stoppingToken);
                await using var notify = database.CreateCommand($"SELECT pg_notify('{TimelineFeed.Channel}', '')");
                await notify.ExecuteNonQueryAsync(stoppingToken);
                Interlocked.Increment(ref _sent);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NpgsqlException or InvalidOperationException or TimeoutException or IOException)
            {
                // The feeds re-read on their own within their safety interval; try again once the database answers.
                logger.LogWarning("Timeline announcer: notifying the feeds failed ({Reason}); trying again", e.Message);
                Announce();
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    public override void Dispose()
    {
        _committed.Dispose();
        base.Dispose();
    }
}
