using QuayGateway.Persistence;

namespace QuayGateway.Tests.Persistence;

public sealed class Uuid7Tests
{
    [Fact]
    public void An_id_is_a_version_7_uuid_carrying_its_millisecond()
    {
        var at = new DateTimeOffset(2026, 11, 25, 3, 4, 5, 678, TimeSpan.Zero);

        var id = Uuid7.New(at);

        Assert.Equal(7, id.Version);
        Assert.Equal(0b1000, id.Variant & 0b1100); // RFC 9562 variant: 10xx
        var milliseconds = Convert.ToInt64(id.ToString("N")[..12], 16);
        Assert.Equal(at.ToUnixTimeMilliseconds(), milliseconds);
    }

    [Fact]
    public void Ids_are_unique_across_buffer_refills_and_threads_and_sort_by_time()
    {
        // 4 KiB of random bytes holds 256 ids: 10,000 per thread refill the buffer many times.
        var ids = new System.Collections.Concurrent.ConcurrentBag<Guid>();
        Parallel.For(0, 4, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                ids.Add(Uuid7.New());
            }
        });

        Assert.Equal(40_000, ids.Distinct().Count());
        var earlier = Uuid7.New(DateTimeOffset.UtcNow.AddSeconds(-1));
        Assert.True(string.CompareOrdinal(earlier.ToString("N"), Uuid7.New().ToString("N")) < 0);
    }
}
