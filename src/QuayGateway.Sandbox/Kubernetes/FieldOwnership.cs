using System.Text.Json;
using System.Text.Json.Nodes;
using static QuayGateway.Sandbox.Kubernetes.StructuredMerge;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// Server-side apply and field ownership as the API server does it (k8s.io/apiserver's fieldmanager over
/// sigs.k8s.io/structured-merge-diff, see <see cref="StructuredMerge"/>): <c>metadata.managedFields</c> holds one
/// entry per manager, operation and subresource with its <c>fieldsV1</c> set. Lists follow the CRD's
/// <c>x-kubernetes-list-type</c>; an apply conflicts with other owners of the fields it changes unless forced,
/// and removes what its manager applied before and no one else owns; an update takes the fields it changes.
/// tests/ssa-oracle replays the same operations on the real library and the tests compare the two.
/// </summary>
internal static class FieldOwnership
{
    private sealed record Entry(string Manager, string Operation, string? Subresource, string ApiVersion, string Time, HashSet<string> Paths)
    {
        public bool SameOwner(Entry other) => Manager == other.Manager && Operation == other.Operation && Subresource == other.Subresource
            && (Operation == "Apply" || ApiVersion == other.ApiVersion);

        /// <summary>The owner as a real server names it in conflicts: <c>"kubectl" using apps/v1</c>.</summary>
        public string Describe()
        {
            var name = JsonSerializer.Serialize(Manager);
            if (Subresource is not null) name += $" with subresource {JsonSerializer.Serialize(Subresource)}";
            return Operation == "Update" ? $"{name} using {ApiVersion}" : name;
        }
    }

    /// <summary>What no manager owns (fieldmanager's stripMeta).</summary>
    private static readonly HashSet<string> Stripped = NewSet(new[]
    {
        "f:apiVersion", "f:kind", "f:metadata",
    }.Concat(new[] { "name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation", "managedFields", "resourceVersion" }
        .Select(f => "f:metadata" + Separator + "f:" + f)));

    /// <summary>What a write may not change: status on the main resource, the rest on /status (the strategies' reset fields).</summary>
    private static HashSet<string> Ignored(string? subresource) =>
        subresource == "status" ? NewSet(["f:apiVersion", "f:kind", "f:metadata", "f:spec"]) : NewSet(["f:status"]);

    private static readonly SsaType QuayRegistryType = SsaType.FromCrd(QuayRegistryCrd.Instance.Schema);

    private static SsaType TypeOf(JsonObject obj) =>
        obj["kind"].Str() == ResourceTypes.QuayRegistries.Kind && obj["apiVersion"].Str() == ResourceTypes.QuayRegistries.ApiVersion
            ? QuayRegistryType
            : SsaType.Resource;

    /// <summary>Records a create, update or patch (Updater.Update): the fields the write changed now belong to <paramref name="manager"/>.</summary>
    public static void RecordUpdate(JsonObject? before, JsonObject after, string manager, string? subresource, string apiVersion, string now)
    {
        var type = TypeOf(after);
        var entries = before is null ? [] : Read(before);
        var ignored = Ignored(subresource);
        // Only what the write may change is compared: status on /status, the rest otherwise.
        Func<string, bool> compared = subresource == "status" ? key => key == "status" : key => key != "status";
        var compare = Compare(before ?? new JsonObject(), after, type, compared).Excluding(ignored);
        var changed = NewSet(compare.Added.Concat(compare.Modified));
        foreach (var entry in entries)
        {
            entry.Paths.ExceptWith(changed);
            entry.Paths.ExceptWith(compare.Removed);
        }
        var taken = RecursiveDifference(NewSet(changed.Except(compare.Removed)), ignored);
        if (taken.Count > 0)
        {
            var own = new Entry(manager, "Update", subresource, apiVersion, now, taken);
            var previous = entries.FirstOrDefault(e => e.SameOwner(own));
            if (previous is not null)
            {
                own.Paths.UnionWith(previous.Paths);
                entries.Remove(previous);
            }
            entries.Add(own);
        }
        Write(after, entries);
    }

    /// <summary>
    /// Merges an applied configuration into <paramref name="live"/> (or into an empty object for a create), as
    /// Updater.Apply: fields the manager applied before and left out now are removed unless someone else owns
    /// them; a field another manager owns and the apply changes is a conflict unless <paramref name="force"/>.
    /// Returns the merged object with its managedFields (the live object's content when nothing changed).
    /// </summary>
    public static JsonObject Apply(JsonObject? live, JsonObject applied, string manager, bool force, string? subresource, string apiVersion, string now)
    {
        var type = TypeOf(applied);
        var liveContent = WithoutManagedFields(live) ?? new JsonObject();
        var config = subresource == "status" ? StatusOnly(applied) : WithoutManagedFields(applied)!;
        if (subresource != "status") config.Remove("status");
        var entries = live is null ? [] : Read(live);
        var ignored = Ignored(subresource);

        var merged = Merge(liveContent, config, type) as JsonObject ?? new JsonObject();
        var own = new Entry(manager, "Apply", subresource, apiVersion, now, RecursiveDifference(ToFieldSet(config, type), ignored));
        var previous = entries.FirstOrDefault(e => e.SameOwner(own));
        var others = entries.Where(e => e != previous).ToList();
        var pruned = Prune(merged, others.Append(own), previous?.Paths, type);

        var compare = Compare(liveContent, pruned, type).Excluding(ignored);
        var changed = NewSet(compare.Added.Concat(compare.Modified));
        var conflicts = others.SelectMany(o => o.Paths.Where(changed.Contains).Order(StringComparer.Ordinal).Select(p => (Owner: o, Path: p))).ToList();
        if (conflicts.Count > 0 && !force) throw ConflictError(conflicts);
        foreach (var other in others)
        {
            other.Paths.ExceptWith(changed);
            other.Paths.ExceptWith(compare.Removed);
        }
        var result = compare.IsSame ? liveContent : pruned;
        if (compare.IsSame && previous is not null) own = own with { Time = previous.Time };
        Write(result, others.Append(own).ToList());
        return result;
    }

    /// <summary>Updater.prune: what the manager applied last time and not now goes, unless someone owns it.</summary>
    private static JsonObject Prune(JsonObject merged, IEnumerable<Entry> managers, HashSet<string>? lastSet, SsaType type)
    {
        if (lastSet is null || lastSet.Count == 0) return merged;
        var last = EnsureNamedFieldsAreMembers(lastSet, type);
        var managed = EnsureNamedFieldsAreMembers(NewSet(managers.SelectMany(m => m.Paths)), type);
        var mergedSet = EnsureNamedFieldsAreMembers(ToFieldSet(merged, type), type);
        var pruned = RemoveItems(merged, last, type);
        var prunedSet = EnsureNamedFieldsAreMembers(ToFieldSet(pruned, type), type);
        // Put back what others (or this apply) own...
        pruned = RemoveItems(merged, NewSet(mergedSet.Except(prunedSet).Except(managed)), type);
        prunedSet = EnsureNamedFieldsAreMembers(ToFieldSet(pruned, type), type);
        // ...and remove only what the manager had applied.
        return RemoveItems(merged, NewSet(mergedSet.Except(prunedSet).Intersect(last)), type) as JsonObject ?? new JsonObject();
    }

    private static JsonObject? WithoutManagedFields(JsonObject? obj)
    {
        if (obj is null) return null;
        var copy = (JsonObject)obj.DeepClone();
        if (copy["metadata"] is JsonObject meta) meta.Remove("managedFields");
        return copy;
    }

    private static JsonObject StatusOnly(JsonObject applied)
    {
        var config = new JsonObject();
        foreach (var key in new[] { "apiVersion", "kind" }) if (applied[key] is { } v) config[key] = v.DeepClone();
        var meta = new JsonObject();
        foreach (var key in new[] { "name", "namespace" }) if (applied["metadata"]?[key] is { } v) meta[key] = v.DeepClone();
        config["metadata"] = meta;
        if (applied["status"] is { } status) config["status"] = status.DeepClone();
        return config;
    }

    private static KubernetesStatusException ConflictError(List<(Entry Owner, string Path)> conflicts)
    {
        string message;
        if (conflicts.Count == 1)
        {
            message = $"Apply failed with 1 conflict: conflict with {conflicts[0].Owner.Describe()}: {Render(conflicts[0].Path)}";
        }
        else
        {
            var lines = conflicts.GroupBy(c => Identity(c.Owner)).OrderBy(g => g.Key, StringComparer.Ordinal)
                .SelectMany(g => g.Select(c => "- " + Render(c.Path)).Prepend($"conflicts with {g.First().Owner.Describe()}:"));
            message = $"Apply failed with {conflicts.Count} conflicts: {string.Join("\n", lines)}";
        }
        // As errors.NewApplyConflict: the causes, no object in the details.
        var causes = conflicts.Select(c => new StatusCause("FieldManagerConflict", $"conflict with {c.Owner.Describe()}", Render(c.Path))).ToList();
        return new KubernetesStatusException(409, "Conflict", message, new StatusDetails(Causes: causes));
    }

    /// <summary>The manager identifier the API server sorts conflicts by (a JSON ManagedFieldsEntry without fields and time).</summary>
    private static string Identity(Entry e)
    {
        var id = new JsonObject { ["manager"] = e.Manager, ["operation"] = e.Operation };
        if (e.Operation == "Update") id["apiVersion"] = e.ApiVersion;
        if (e.Subresource is not null) id["subresource"] = e.Subresource;
        return id.ToJsonString();
    }

    private static List<Entry> Read(JsonObject obj)
    {
        var entries = new List<Entry>();
        if (obj["metadata"]?["managedFields"] is not JsonArray managed) return entries;
        foreach (var node in managed.OfType<JsonObject>())
        {
            entries.Add(new Entry(node["manager"].Str() ?? "", node["operation"].Str() ?? "Update", node["subresource"].Str(),
                node["apiVersion"].Str() ?? "", node["time"].Str() ?? "", FromFieldsV1(node["fieldsV1"] as JsonObject)));
        }
        return entries;
    }

    /// <summary>Writes the entries as the API server encodes them: stripped, non-empty, Apply before Update, oldest first.</summary>
    private static void Write(JsonObject obj, List<Entry> entries)
    {
        var managed = new JsonArray();
        var kept = entries.Select(e => e with { Paths = NewSet(e.Paths.Except(Stripped).Where(p => p.Length > 0)) }).Where(e => e.Paths.Count > 0)
            .OrderBy(e => e.Operation, StringComparer.Ordinal).ThenBy(e => e.Time, StringComparer.Ordinal).ThenBy(e => e.Manager, StringComparer.Ordinal)
            .ThenBy(e => e.ApiVersion, StringComparer.Ordinal).ThenBy(e => e.Subresource ?? "", StringComparer.Ordinal);
        foreach (var entry in kept)
        {
            var json = new JsonObject
            {
                ["manager"] = entry.Manager,
                ["operation"] = entry.Operation,
                ["apiVersion"] = entry.ApiVersion,
                ["time"] = entry.Time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = ToFieldsV1(entry.Paths),
            };
            if (entry.Subresource is not null) json["subresource"] = entry.Subresource;
            managed.Add(json);
        }
        if (managed.Count > 0) obj.Metadata()["managedFields"] = managed;
        else obj.Metadata().Remove("managedFields");
    }
}
