using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// Coarse server-side-apply bookkeeping kept in <c>metadata.managedFields</c>. A manager owns whole top-level
/// content keys one level deep (<c>spec.components</c>, <c>spec.configBundleSecret</c>, <c>data.config.yaml</c>),
/// single labels and annotations, and single finalizers. That is enough to reproduce what clients of a real
/// server see: apply conflicts, force, and an apply never removing a field some other manager wrote.
/// </summary>
internal static class FieldOwnership
{
    private const char Separator = '\n';
    private const string ItemPrefix = "v:";

    private sealed record Entry(string Manager, string Operation, string? Subresource, string ApiVersion, string Time, HashSet<string> Paths)
    {
        public bool SameOwner(Entry other) => Manager == other.Manager && Operation == other.Operation && Subresource == other.Subresource;

        /// <summary>The owner as a real server names it in conflicts: <c>"kubectl" using apps/v1</c>.</summary>
        public string Describe()
        {
            var name = JsonSerializer.Serialize(Manager);
            if (Subresource is not null) name += $" with subresource {JsonSerializer.Serialize(Subresource)}";
            return Operation == "Update" ? $"{name} using {ApiVersion}" : name;
        }
    }

    /// <summary>Records a create, update or patch: fields the write changed now belong to <paramref name="manager"/>.</summary>
    public static void RecordUpdate(JsonObject? before, JsonObject after, string manager, string? subresource, string apiVersion, string now)
    {
        var entries = Read(before ?? after);
        if (before is null) entries.Clear();
        var status = subresource == "status";
        var oldPaths = before is null ? [] : Paths(before, status);
        var newPaths = Paths(after, status);
        var changed = newPaths.Where(p => !oldPaths.Contains(p) || !JsonNode.DeepEquals(ValueAt(before!, p), ValueAt(after, p))).ToHashSet();
        var removed = oldPaths.Where(p => !newPaths.Contains(p)).ToHashSet();
        if (changed.Count == 0 && removed.Count == 0)
        {
            Write(after, entries);
            return;
        }
        var own = new Entry(manager, "Update", subresource, apiVersion, now, []);
        foreach (var entry in entries)
        {
            entry.Paths.ExceptWith(changed);
            entry.Paths.ExceptWith(removed);
            if (entry.SameOwner(own)) own.Paths.UnionWith(entry.Paths);
        }
        own.Paths.UnionWith(changed);
        entries.RemoveAll(e => e.SameOwner(own));
        entries.Add(own);
        Write(after, entries);
    }

    /// <summary>
    /// Merges an applied configuration into <paramref name="live"/> (or into an empty object for a create):
    /// fields the manager applied before and left out now are removed unless someone else owns them;
    /// a changed field another manager owns is a conflict unless <paramref name="force"/>.
    /// </summary>
    public static JsonObject Apply(JsonObject? live, JsonObject applied, string manager, bool force, string? subresource, string apiVersion, string now)
    {
        var status = subresource == "status";
        var result = live is null ? new JsonObject() : (JsonObject)live.DeepClone();
        var entries = live is null ? [] : Read(live);
        var own = new Entry(manager, "Apply", subresource, apiVersion, now, Paths(applied, status));
        var previouslyOwned = entries.FirstOrDefault(e => e.SameOwner(own))?.Paths ?? [];
        var others = entries.Where(e => !e.SameOwner(own)).ToList();

        var conflicts = new List<(Entry Owner, string Path)>();
        foreach (var path in own.Paths)
        {
            if (!HasPath(result, path) || JsonNode.DeepEquals(ValueAt(result, path), ValueAt(applied, path))) continue;
            conflicts.AddRange(others.Where(o => o.Paths.Contains(path)).Select(o => (o, path)));
        }
        if (conflicts.Count > 0 && !force) throw ConflictError(conflicts, live!);
        foreach (var (owner, path) in conflicts) owner.Paths.Remove(path);

        foreach (var path in previouslyOwned.Where(p => !own.Paths.Contains(p) && !others.Any(o => o.Paths.Contains(p))))
        {
            RemovePath(result, path);
        }
        foreach (var path in own.Paths) SetPath(result, path, ValueAt(applied, path));

        others.RemoveAll(o => o.Paths.Count == 0);
        others.Add(own);
        Write(result, others);
        return result;
    }

    private static KubernetesStatusException ConflictError(List<(Entry Owner, string Path)> conflicts, JsonObject live)
    {
        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {conflicts[0].Owner.Describe()}: {Render(conflicts[0].Path)}";
        }
        else
        {
            var lines = conflicts.GroupBy(c => c.Owner.Describe()).OrderBy(g => g.Key, StringComparer.Ordinal)
                .SelectMany(g => g.Select(c => "- " + Render(c.Path)).Prepend($"conflicts with {g.Key}:"));
            message = $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
        }
        var type = ResourceTypes.Known.FirstOrDefault(t => t.ApiVersion == live["apiVersion"].Str() && t.Kind == live["kind"].Str());
        var causes = conflicts.Select(c => new StatusCause("FieldManagerConflict", $"conflict with {c.Owner.Describe()}", Render(c.Path))).ToList();
        return new KubernetesStatusException(409, "Conflict", message, new StatusDetails(live.Name(), type?.Group, type?.Plural, causes));
    }

    /// <summary>The owned paths of an object, rendered as <c>.spec.components</c> in messages.</summary>
    internal static HashSet<string> Paths(JsonObject obj, bool status)
    {
        var paths = new HashSet<string>(StringComparer.Ordinal);
        if (status)
        {
            if (obj["status"] is JsonObject s) foreach (var key in s.Select(p => p.Key)) paths.Add(Join("status", key));
            return paths;
        }
        if (obj["metadata"] is JsonObject meta)
        {
            foreach (var map in new[] { "labels", "annotations" })
            {
                if (meta[map] is JsonObject values) foreach (var key in values.Select(p => p.Key)) paths.Add(Join("metadata", map, key));
            }
            foreach (var finalizer in obj.Finalizers()) paths.Add(Join("metadata", "finalizers", ItemPrefix + finalizer));
            if (meta["ownerReferences"] is not null) paths.Add(Join("metadata", "ownerReferences"));
        }
        foreach (var (key, value) in obj)
        {
            if (key is "apiVersion" or "kind" or "metadata" or "status") continue; // the content, as ObjectMeta.Content has it, without its copy
            if (value is JsonObject child) foreach (var childKey in child.Select(p => p.Key)) paths.Add(Join(key, childKey));
            else paths.Add(key);
        }
        return paths;
    }

    private static string Join(params string[] segments) => string.Join(Separator, segments);

    private static string Render(string path) =>
        string.Concat(path.Split(Separator).Select(s => s.StartsWith(ItemPrefix, StringComparison.Ordinal) ? $"[{s[2..]}]" : "." + s));

    private static bool HasPath(JsonObject obj, string path) => ValueAt(obj, path) is not null;

    private static JsonNode? ValueAt(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var segment in path.Split(Separator))
        {
            if (segment.StartsWith(ItemPrefix, StringComparison.Ordinal))
            {
                var item = segment[2..];
                return node is JsonArray items && items.Any(i => i.Str() == item) ? JsonValue.Create(item) : null;
            }
            node = node is JsonObject o ? o[segment] : null;
            if (node is null) return null;
        }
        return node;
    }

    private static void SetPath(JsonObject obj, string path, JsonNode? value)
    {
        var segments = path.Split(Separator);
        var parent = obj;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            if (segments[i + 1].StartsWith(ItemPrefix, StringComparison.Ordinal))
            {
                var items = parent[segments[i]] as JsonArray ?? [];
                parent[segments[i]] = items;
                var item = segments[i + 1][2..];
                if (!items.Any(x => x.Str() == item)) items.Add(item);
                return;
            }
            if (parent[segments[i]] is not JsonObject next)
            {
                next = new JsonObject();
                parent[segments[i]] = next;
            }
            parent = next;
        }
        parent[segments[^1]] = value?.DeepClone();
    }

    private static void RemovePath(JsonObject obj, string path)
    {
        var segments = path.Split(Separator);
        var parent = obj;
        for (var i = 0; i < segments.Length - 1; i++)
        {
            if (segments[i + 1].StartsWith(ItemPrefix, StringComparison.Ordinal))
            {
                if (parent[segments[i]] is JsonArray items)
                {
                    var item = items.FirstOrDefault(x => x.Str() == segments[i + 1][2..]);
                    if (item is not null) items.Remove(item);
                    if (items.Count == 0) parent.Remove(segments[i]);
                }
                return;
            }
            if (parent[segments[i]] is not JsonObject next) return;
            parent = next;
        }
        parent.Remove(segments[^1]);
    }

    private static List<Entry> Read(JsonObject obj)
    {
        var entries = new List<Entry>();
        if (obj["metadata"]?["managedFields"] is not JsonArray managed) return entries;
        foreach (var node in managed.OfType<JsonObject>())
        {
            var paths = new HashSet<string>(StringComparer.Ordinal);
            if (node["fieldsV1"] is JsonObject fields) CollectLeaves(fields, [], paths);
            entries.Add(new Entry(node["manager"].Str() ?? "", node["operation"].Str() ?? "Update", node["subresource"].Str(),
                node["apiVersion"].Str() ?? "", node["time"].Str() ?? "", paths));
        }
        return entries;
    }

    private static void CollectLeaves(JsonObject fields, List<string> prefix, HashSet<string> paths)
    {
        foreach (var (key, value) in fields)
        {
            var segment = key.StartsWith("f:", StringComparison.Ordinal) ? key[2..]
                : key.StartsWith(ItemPrefix, StringComparison.Ordinal) ? ItemPrefix + JsonSerializer.Deserialize<string>(key[2..])
                : null;
            if (segment is null) continue;
            prefix.Add(segment);
            if (value is JsonObject child && child.Count > 0) CollectLeaves(child, prefix, paths);
            else paths.Add(string.Join(Separator, prefix));
            prefix.RemoveAt(prefix.Count - 1);
        }
    }

    private static void Write(JsonObject obj, List<Entry> entries)
    {
        var managed = new JsonArray();
        foreach (var entry in entries.Where(e => e.Paths.Count > 0))
        {
            var fields = new JsonObject();
            foreach (var path in entry.Paths.Order(StringComparer.Ordinal))
            {
                var node = fields;
                foreach (var segment in path.Split(Separator))
                {
                    var key = segment.StartsWith(ItemPrefix, StringComparison.Ordinal) ? ItemPrefix + JsonSerializer.Serialize(segment[2..]) : "f:" + segment;
                    if (node[key] is not JsonObject next)
                    {
                        next = new JsonObject();
                        node[key] = next;
                    }
                    node = next;
                }
            }
            var json = new JsonObject
            {
                ["manager"] = entry.Manager,
                ["operation"] = entry.Operation,
                ["apiVersion"] = entry.ApiVersion,
                ["time"] = entry.Time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = fields,
            };
            if (entry.Subresource is not null) json["subresource"] = entry.Subresource;
            managed.Add(json);
        }
        if (managed.Count > 0) obj.Metadata()["managedFields"] = managed;
        else obj.Metadata().Remove("managedFields");
    }
}
