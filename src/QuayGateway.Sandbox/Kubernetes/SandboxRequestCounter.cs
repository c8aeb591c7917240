using System.Collections.Concurrent;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// Counts Kubernetes API requests by verb and resource ("list quayregistries", "update quayregistries/status",
/// "get discovery") so a benchmark can measure what one rollout costs. Thread-safe; <see cref="Reset"/> starts over.
/// </summary>
public sealed class SandboxRequestCounter
{
    private readonly ConcurrentDictionary<string, long> _counts = new(StringComparer.Ordinal);

    public long Total => _counts.Values.Sum();

    public long Count(string verb, string resource) => _counts.GetValueOrDefault($"{verb} {resource}");

    /// <summary>Counts keyed "verb resource", ordered by key.</summary>
    public IReadOnlyDictionary<string, long> Snapshot() =>
        new SortedDictionary<string, long>(_counts.ToDictionary(p => p.Key, p => p.Value), StringComparer.Ordinal);

    public void Reset() => _counts.Clear();

    internal void Add(string verb, string resource) => _counts.AddOrUpdate($"{verb} {resource}", 1, (_, n) => n + 1);
}
