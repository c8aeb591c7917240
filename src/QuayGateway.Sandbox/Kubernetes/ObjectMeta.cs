using System.Globalization;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>Typed reads and writes of <c>metadata</c> on a raw <see cref="JsonObject"/>.</summary>
internal static class ObjectMeta
{
    public static JsonObject Metadata(this JsonObject obj)
    {
        if (obj["metadata"] is JsonObject metadata) return metadata;
        metadata = new JsonObject();
        obj["metadata"] = metadata;
        return metadata;
    }

    public static string? Str(this JsonNode? node) =>
        node is JsonValue value && value.TryGetValue(out string? s) ? s : null;

    public static long? Long(this JsonNode? node) =>
        node is JsonValue value && (value.TryGetValue(out long l) || (value.TryGetValue(out string? s) && long.TryParse(s, out l))) ? l : null;

    public static double? Double(this JsonNode? node) =>
        node is JsonValue value && (value.TryGetValue(out double d) || (value.TryGetValue(out long l) && (d = l) == l) || (value.TryGetValue(out int i) && (d = i) == i)) ? d : null;

    public static bool? Bool(this JsonNode? node) =>
        node is JsonValue value && value.TryGetValue(out bool b) ? b : null;

    public static string? Name(this JsonObject obj) => obj["metadata"]?["name"].Str();

    public static string? Namespace(this JsonObject obj) => obj["metadata"]?["namespace"].Str();

    public static string? Uid(this JsonObject obj) => obj["metadata"]?["uid"].Str();

    public static string? ResourceVersion(this JsonObject obj) => obj["metadata"]?["resourceVersion"].Str();

    public static bool IsDeleting(this JsonObject obj) => obj["metadata"]?["deletionTimestamp"] is not null;

    public static IReadOnlyList<string> Finalizers(this JsonObject obj) =>
        obj["metadata"]?["finalizers"] is JsonArray a ? a.Select(f => f.Str()).OfType<string>().ToList() : [];

    public static IReadOnlyDictionary<string, string> Labels(this JsonObject obj) =>
        obj["metadata"]?["labels"] is JsonObject labels
            ? labels.Where(l => l.Value.Str() is not null).ToDictionary(l => l.Key, l => l.Value.Str()!)
            : new Dictionary<string, string>();

    public static IEnumerable<string> OwnerUids(this JsonObject obj) =>
        obj["metadata"]?["ownerReferences"] is JsonArray refs ? refs.Select(r => r?["uid"].Str()).OfType<string>() : [];

    public static string Timestamp(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset? ParseTimestamp(string? value) =>
        DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    /// <summary>Everything a client owns: top-level fields except the type, metadata and status.</summary>
    public static JsonObject Content(this JsonObject obj)
    {
        var content = new JsonObject();
        foreach (var (key, value) in obj)
        {
            if (key is not ("apiVersion" or "kind" or "metadata" or "status")) content[key] = value?.DeepClone();
        }
        return content;
    }
}
