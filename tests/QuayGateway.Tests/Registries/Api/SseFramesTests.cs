using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;

namespace QuayGateway.Tests.Registries.Api;

/// <summary>
/// The SSE frame of a timeline entry is encoded once per replica and shared by every stream that sends it (2,000 open
/// streams: one serialization per entry); the streams themselves are tested end to end in <see cref="FleetEventsTests"/>.
/// </summary>
public sealed class SseFramesTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { Converters = { new JsonStringEnumConverter() } };

    private static TimelineRecord Entry(long id) => new(
        new TimelinePosition(1000 + id, id), Guid.NewGuid(), "tenant-a", "registry-a", DateTimeOffset.UnixEpoch, TimelineEntryType.StateChanged,
        RegistryState.Applying, "Applied", "line one\nline two is not a second data line");

    [Fact]
    public void A_frame_is_the_entry_as_id_event_and_one_data_line()
    {
        var entry = Entry(42);

        var frame = Encoding.UTF8.GetString(SseFrames.Of(entry, Json));

        Assert.Equal($"id: 42\nevent: StateChanged\ndata: {JsonSerializer.Serialize(TimelineEntry.From(entry), Json)}\n\n", frame);
        Assert.Single(frame.Split('\n'), l => l.StartsWith("data: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_stream_gets_the_same_bytes_of_an_entry_and_other_options_get_their_own()
    {
        var entry = Entry(7);

        var first = SseFrames.Of(entry, Json);
        var again = SseFrames.Of(entry, Json);
        var other = SseFrames.Of(entry, new JsonSerializerOptions(Json) { PropertyNamingPolicy = null });

        Assert.True(SameMemory(first, again), "the second stream re-encoded the entry instead of sharing its frame");
        Assert.Contains("\"Id\":7", Encoding.UTF8.GetString(other), StringComparison.Ordinal);
        Assert.Contains("\"id\":7", Encoding.UTF8.GetString(first), StringComparison.Ordinal);
        // An equal record is another entry instance (a table read): it is encoded on its own, to the same text.
        Assert.Equal(first.ToArray(), SseFrames.Of(entry with { }, Json).ToArray());
    }

    private static bool SameMemory(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b) =>
        System.Runtime.CompilerServices.Unsafe.AreSame(ref MemoryMarshal.GetReference(a), ref MemoryMarshal.GetReference(b));
}
