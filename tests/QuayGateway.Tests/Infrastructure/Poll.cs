namespace QuayGateway.Tests.Infrastructure;

/// <summary>
/// Polling for a condition that becomes true some time later (a rollout finishing, a process coming back). Shared by
/// the tests and the benchmarks (linked into both), so it knows nothing of xunit: the caller judges the last value.
/// </summary>
public static class Poll
{
    /// <summary>
    /// Probes until <paramref name="done"/> holds or <paramref name="timeout"/> passed, and returns the last value either
    /// way. A probe that throws one of <paramref name="transient"/> counts as not done yet.
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan timeout, TimeSpan? interval = null,
        params Type[] transient)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            T value;
            try
            {
                value = await probe();
            }
            catch (Exception e) when (transient.Any(t => t.IsInstanceOfType(e)) && DateTime.UtcNow <= deadline)
            {
                await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100));
                continue;
            }

            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(100));
        }
    }
}
