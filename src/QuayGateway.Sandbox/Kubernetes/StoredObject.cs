using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// One committed version of an object, kept once: its JSON as UTF-8 bytes (what watches and lists write out) and
/// the metadata the store filters, indexes and garbage-collects on, so those need no parse. Immutable: the live
/// map, the watch history and every watcher share the same instance.
/// </summary>
internal sealed class StoredObject
{
    private static readonly IReadOnlyDictionary<string, string> NoLabels = new Dictionary<string, string>();

    private StoredObject(byte[] json, JsonObject obj)
    {
        Json = json;
        Namespace = obj.Namespace();
        Name = obj.Name()!;
        Uid = obj.Uid();
        ResourceVersion = obj.ResourceVersion();
        Generation = obj["metadata"]?["generation"].Long() ?? 0;
        Deleting = obj.IsDeleting();
        HasFinalizers = obj["metadata"]?["finalizers"] is JsonArray { Count: > 0 };
        Labels = obj["metadata"]?["labels"] is JsonObject { Count: > 0 } ? obj.Labels() : NoLabels;
        OwnerUids = obj["metadata"]?["ownerReferences"] is JsonArray { Count: > 0 } ? [.. obj.OwnerUids()] : [];
    }

    public byte[] Json { get; }

    public string? Namespace { get; }

    public string Name { get; }

    public string? Uid { get; }

    public string? ResourceVersion { get; }

    public long Generation { get; }

    public bool Deleting { get; }

    public bool HasFinalizers { get; }

    public IReadOnlyDictionary<string, string> Labels { get; }

    public string[] OwnerUids { get; }

    /// <summary>Serializes <paramref name="obj"/> as the apiserver writes JSON; the object is not kept.</summary>
    public static StoredObject From(JsonObject obj) => new(JsonSerializer.SerializeToUtf8Bytes(obj, KubeJson.Options), obj);

    /// <summary>
    /// A fresh, mutable copy. Parsed from text, so every number reads as any numeric type (a JsonValue built from
    /// an int refuses GetValue&lt;long&gt;, one parsed from text does not); nodes materialise only when touched.
    /// </summary>
    public JsonObject Parse() => JsonNode.Parse(Json)!.AsObject();
}
