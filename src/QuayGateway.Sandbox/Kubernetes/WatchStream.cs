using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>What one watch request asked for.</summary>
internal sealed record WatchRequest(
    ResourceType Type,
    string? Namespace,
    LabelSelector? Labels,
    Func<JsonObject, bool>? Fields,
    long? FromRevision,
    bool Bookmarks,
    TimeSpan? Timeout,
    bool AsTable,
    string? IncludeObject);

/// <summary>
/// Serves <c>?watch=true</c>: newline-delimited <c>{"type","object"}</c> events over a chunked response, resuming
/// after <c>resourceVersion</c>, with BOOKMARKs when asked, and an ERROR event carrying a 410 Status when the
/// resume point has left the history window (or the faults say so).
/// </summary>
internal sealed class WatchStream(ObjectStore store, IApiFaultHook faults, TablePrinter printer, TimeSpan bookmarkInterval)
{
    public async Task ServeAsync(HttpContext context, WatchRequest request)
    {
        var response = context.Response;
        response.StatusCode = 200;
        response.ContentType = "application/json";
        // A connection that carried a watch is not reused: KubernetesClient loses the events of a request sent on
        // a keep-alive connection whose previous watch response the server ended (reproduced with 21.0.8).
        response.Headers.Connection = "close";
        var ct = context.RequestAborted;

        if (faults.TryTakeWatchExpiry())
        {
            var compacted = store.CurrentResourceVersion;
            await WriteAsync(response, Error(KubernetesStatusException.Gone($"too old resource version: {request.FromRevision ?? compacted} ({compacted})")), ct);
            return;
        }

        var channel = Channel.CreateUnbounded<ObjectStore.StoredEvent>(new UnboundedChannelOptions { SingleReader = true });
        IReadOnlyList<ObjectStore.StoredEvent> backlog;
        IDisposable subscription;
        try
        {
            subscription = store.OpenWatch(request.Type, request.FromRevision, e => channel.Writer.TryWrite(e), out backlog);
        }
        catch (KubernetesStatusException gone)
        {
            await WriteAsync(response, Error(gone), ct);
            return;
        }

        using (subscription)
        {
            var closedByFault = faults.WatchesClosed;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, closedByFault);
            if (request.Timeout is { } timeout) stop.CancelAfter(timeout);
            await response.StartAsync(ct);
            var lastRevision = request.FromRevision ?? store.CurrentResourceVersion;
            try
            {
                foreach (var e in backlog)
                {
                    lastRevision = Math.Max(lastRevision, e.Revision);
                    Write(response, request, e);
                }
                await response.BodyWriter.FlushAsync(stop.Token);
                var nextBookmark = DateTime.UtcNow + bookmarkInterval;
                while (!stop.IsCancellationRequested)
                {
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                    if (request.Bookmarks) wait.CancelAfter(Max(nextBookmark - DateTime.UtcNow, TimeSpan.FromMilliseconds(1)));
                    try
                    {
                        await channel.Reader.WaitToReadAsync(wait.Token);
                    }
                    catch (OperationCanceledException) when (!stop.IsCancellationRequested)
                    {
                        // The bookmark timer fired.
                    }
                    while (channel.Reader.TryRead(out var e))
                    {
                        lastRevision = Math.Max(lastRevision, e.Revision);
                        Write(response, request, e);
                    }
                    if (request.Bookmarks && DateTime.UtcNow >= nextBookmark)
                    {
                        await WriteAsync(response, Bookmark(request.Type, lastRevision), stop.Token);
                        nextBookmark = DateTime.UtcNow + bookmarkInterval;
                    }
                    await response.BodyWriter.FlushAsync(stop.Token);
                }
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                // Timeout or a forced close: a real server just ends the stream.
            }
            if (!ct.IsCancellationRequested && !closedByFault.IsCancellationRequested && request.Bookmarks)
            {
                // A final bookmark lets the client resume exactly where this watch stopped.
                await WriteAsync(response, Bookmark(request.Type, lastRevision), CancellationToken.None);
            }
        }
    }

    /// <summary>
    /// Filters an event for this watch and buffers its line (the caller flushes). As a real server does, an object
    /// that stops matching the selector is reported DELETED and one that starts matching ADDED. The stored JSON is
    /// written as it is: no copy, no re-serialisation per watcher.
    /// </summary>
    private void Write(HttpResponse response, WatchRequest request, ObjectStore.StoredEvent e)
    {
        if (e.Resource != request.Type.Plural) return;
        bool Matches(StoredObject? o) =>
            o is not null
            && (request.Namespace is null || o.Namespace == request.Namespace)
            && (request.Labels is null || request.Labels.Matches(o.Labels))
            && (request.Fields is null || request.Fields(o.Parse()));
        var now = Matches(e.Object);
        var before = Matches(e.Previous);
        var type = e.Type switch
        {
            "MODIFIED" when now && !before => "ADDED",
            "MODIFIED" when !now && before => "DELETED",
            "MODIFIED" when !now => null,
            _ when !now && !before => null,
            var t => t,
        };
        if (type is null) return;
        var writer = response.BodyWriter;
        writer.Write(Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"object\":"));
        if (request.AsTable)
        {
            var table = printer.Table(request.Type, [e.Object.Parse()], request.IncludeObject, e.Object.ResourceVersion ?? "");
            writer.Write(JsonSerializer.SerializeToUtf8Bytes(table, KubeJson.Options));
        }
        else
        {
            writer.Write(e.Object.Json);
        }
        writer.Write("}\n"u8);
    }

    private static JsonObject Bookmark(ResourceType type, long revision) => new()
    {
        ["type"] = "BOOKMARK",
        ["object"] = new JsonObject
        {
            ["kind"] = type.Kind,
            ["apiVersion"] = type.ApiVersion,
            ["metadata"] = new JsonObject
            {
                ["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["creationTimestamp"] = null,
            },
        },
    };

    private static JsonObject Error(KubernetesStatusException error) => new() { ["type"] = "ERROR", ["object"] = error.ToStatus() };

    private static async Task WriteAsync(HttpResponse response, JsonObject line, CancellationToken ct)
    {
        await response.WriteAsync(line.ToJsonString(KubeJson.Options) + "\n", ct);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
