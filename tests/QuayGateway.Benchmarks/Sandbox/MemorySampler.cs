using System.Diagnostics;

namespace QuayGateway.Benchmarks.Sandbox;

/// <summary>Samples the process's working set (RSS) in the background and keeps the highest value seen.</summary>
public sealed class MemorySampler : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private long _peak;

    public MemorySampler(TimeSpan interval)
    {
        _loop = Task.Run(async () =>
        {
            using var process = Process.GetCurrentProcess();
            using var timer = new PeriodicTimer(interval);
            do
            {
                process.Refresh();
                InterlockedMax(process.WorkingSet64);
            }
            while (await WaitAsync(timer));
        });
    }

    /// <summary>The highest sampled working set, in bytes.</summary>
    public long PeakSampled => Interlocked.Read(ref _peak);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private void InterlockedMax(long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, value, seen) != seen)
        {
        }
    }
}
