using System.Collections.Concurrent;
using Microsoft.Extensions.Logging.Abstractions;
using QuayGateway.Rollout;

namespace QuayGateway.Tests.Rollout;

/// <summary>
/// The watch's work queue. An observation that could not be written (PostgreSQL down or restarting) is written later,
/// not dropped: a registry that became Available during a database outage gets no further event to carry the news.
/// </summary>
public sealed class KeyedWorkQueueTests
{
    [Fact]
    public async Task An_item_whose_processing_fails_is_processed_again_later()
    {
        var attempts = new ConcurrentQueue<string>();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queue = new KeyedWorkQueue<string>(2, (item, _) =>
        {
            attempts.Enqueue(item);
            if (attempts.Count == 1)
            {
                throw new InvalidOperationException("database down");
            }

            done.TrySetResult();
            return Task.CompletedTask;
        }, NullLogger.Instance, firstRetryDelay: TimeSpan.FromMilliseconds(50));
        using var stop = new CancellationTokenSource();
        var running = queue.RunAsync(stop.Token);

        queue.Add("ns/registry", "Available");

        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(["Available", "Available"], attempts);
        await stop.CancelAsync();
        await running.ContinueWith(_ => { }, TaskScheduler.Default);
    }

    [Fact]
    public async Task A_newer_item_that_arrives_before_the_retry_replaces_the_failed_one()
    {
        var attempts = new ConcurrentQueue<string>();
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var queue = new KeyedWorkQueue<string>(1, (item, _) =>
        {
            attempts.Enqueue(item);
            if (item == "Progressing")
            {
                failed.TrySetResult();
                throw new InvalidOperationException("database down");
            }

            done.TrySetResult();
            return Task.CompletedTask;
        }, NullLogger.Instance, firstRetryDelay: TimeSpan.FromMilliseconds(500));
        using var stop = new CancellationTokenSource();
        var running = queue.RunAsync(stop.Token);

        queue.Add("ns/registry", "Progressing");
        await failed.Task.WaitAsync(TimeSpan.FromSeconds(30));
        queue.Add("ns/registry", "Available");
        await done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await Task.Delay(1500); // past the retry: it must not bring the older item back

        Assert.Equal(["Progressing", "Available"], attempts);
        await stop.CancelAsync();
        await running.ContinueWith(_ => { }, TaskScheduler.Default);
    }
}
