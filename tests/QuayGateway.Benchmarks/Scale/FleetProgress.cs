using System.Diagnostics;
using Npgsql;
using QuayGateway.Benchmarks.Engine;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Benchmarks.Scale;

/// <summary>
/// A line every <c>interval</c> while the fleet runs, so that a run of half an hour shows where its time and memory go
/// while it goes: the phase, registries created, Available in the sandboxes (the benchmark's watches) and in the
/// gateway (one count in PostgreSQL per line, not per poll), each replica's and the largest sandbox's RSS, and the
/// load average. Not a measurement: the targets are judged by <see cref="FleetBenchmark"/> as before.
/// </summary>
internal sealed class FleetProgress : IAsyncDisposable
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private int _created;

    public FleetProgress(string connectionString, List<GatewayProcess> gateways, List<SandboxProcess> sandboxes,
        EngineBenchmark.ConditionWrites writes, TimeSpan interval) =>
        _loop = Task.Run(() => ReportAsync(connectionString, gateways, sandboxes, writes, interval, _stop.Token));

    public string Phase { get; set; } = "start";

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Created() => Interlocked.Increment(ref _created);

    /// <summary>Starts a phase, with a line saying when.</summary>
    public void Begin(string phase)
    {
        Phase = phase;
        Console.WriteLine($"  [{_clock.Elapsed.TotalSeconds,6:F0} s] {phase}");
    }

    private async Task ReportAsync(string connectionString, List<GatewayProcess> gateways, List<SandboxProcess> sandboxes,
        EngineBenchmark.ConditionWrites writes, TimeSpan interval, CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(ct);
            await using var count = new NpgsqlCommand(
                "SELECT count(*) FILTER (WHERE state IN ('Available', 'Ready')), count(*) FILTER (WHERE state IN ('Accepted', 'Applying')) FROM gateway.registries",
                connection);
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(interval, ct);
                long available = 0, applying = 0;
                await using (var reader = await count.ExecuteReaderAsync(ct))
                {
                    if (await reader.ReadAsync(ct))
                    {
                        (available, applying) = (reader.GetInt64(0), reader.GetInt64(1));
                    }
                }

                var replicas = string.Join("/", gateways.Select(g => g.HasExited ? "exited" : $"{g.Memory().Current / 1048576}"));
                var sandboxRss = sandboxes.Max(s => s.Memory().Current) / 1048576;
                Console.WriteLine($"  [{_clock.Elapsed.TotalSeconds,6:F0} s] {Phase}: created {Volatile.Read(ref _created)}, " +
                                  $"sandboxes Available {writes.AvailableCount}, gateway Available {available} (Accepted/Applying {applying}); " +
                                  $"RSS replicas {replicas} MB, largest sandbox {sandboxRss} MB; load {ScaleBenchmark.LoadAverage()}");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // done
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException)
        {
            Console.Error.WriteLine($"  progress lines stopped: {e.Message}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
