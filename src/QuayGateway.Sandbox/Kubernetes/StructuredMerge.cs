using System.Text.Json;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// The type of a value as server-side apply sees it (structured-merge-diff's schema): a scalar, a struct or map
/// (granular or atomic), a list (atomic, a set, or a map keyed by fields), or deduced from the value
/// (<c>x-kubernetes-preserve-unknown-fields</c> and untyped resources: objects granular, lists atomic).
/// </summary>
internal sealed class SsaType
{
    public enum Shape { Scalar, Map, List, Deduced, AtomicUntyped }

    public Shape Kind { get; private init; }

    public IReadOnlyDictionary<string, SsaType>? Fields { get; private init; }

    public SsaType? Element { get; private init; }

    public bool Atomic { get; private init; }

    /// <summary>Associative list: a set when <see cref="Keys"/> is empty, a map keyed by them otherwise.</summary>
    public bool Associative { get; private init; }

    public string[] Keys { get; private init; } = [];

    public static SsaType Scalar { get; } = new() { Kind = Shape.Scalar };

    public static SsaType Deduced { get; } = new() { Kind = Shape.Deduced };

    public static SsaType Untyped { get; } = new() { Kind = Shape.AtomicUntyped };

    private static readonly SsaType DeducedMap = new() { Kind = Shape.Map, Element = Deduced };
    private static readonly SsaType AtomicList = new() { Kind = Shape.List, Element = Untyped, Atomic = true };
    private static readonly SsaType AtomicMap = new() { Kind = Shape.Map, Element = Untyped, Atomic = true };

    private static SsaType Struct(Dictionary<string, SsaType> fields, SsaType? element = null) => new() { Kind = Shape.Map, Fields = fields, Element = element };

    /// <summary>ObjectMeta as the API server types it: labels and annotations granular maps, finalizers a set, ownerReferences keyed by uid.</summary>
    public static SsaType ObjectMeta { get; } = Struct(new(StringComparer.Ordinal)
    {
        ["labels"] = new() { Kind = Shape.Map, Element = Scalar },
        ["annotations"] = new() { Kind = Shape.Map, Element = Scalar },
        ["finalizers"] = new() { Kind = Shape.List, Element = Scalar, Associative = true },
        ["ownerReferences"] = new() { Kind = Shape.List, Element = Struct(new(StringComparer.Ordinal), Untyped), Associative = true, Keys = ["uid"] },
    }, Untyped);

    /// <summary>A built-in resource: typed metadata, the rest deduced from the values.</summary>
    public static SsaType Resource { get; } = Struct(new(StringComparer.Ordinal) { ["metadata"] = ObjectMeta }, Deduced);

    /// <summary>
    /// A CRD's structural schema converted as the API server's type converter does: properties make a struct,
    /// <c>additionalProperties</c> its element type, <c>x-kubernetes-map-type: atomic</c> an atomic map,
    /// <c>x-kubernetes-list-type</c> (<c>atomic</c> when absent) and <c>x-kubernetes-list-map-keys</c> the list.
    /// </summary>
    public static SsaType FromCrd(JsonObject schema)
    {
        var root = Convert(schema);
        var fields = new Dictionary<string, SsaType>(root.Fields ?? new Dictionary<string, SsaType>(), StringComparer.Ordinal) { ["metadata"] = ObjectMeta };
        return Struct(fields, root.Element);
    }

    private static SsaType Convert(JsonObject s)
    {
        if (s["x-kubernetes-int-or-string"].Bool() == true) return Scalar;
        switch (s["type"].Str())
        {
            case "object":
                var fields = s["properties"] is JsonObject props
                    ? props.Where(p => p.Value is JsonObject).ToDictionary(p => p.Key, p => Convert((JsonObject)p.Value!), StringComparer.Ordinal)
                    : null;
                // Unknown fields are pruned before ownership is computed; deduced keeps stray ones working.
                var element = s["additionalProperties"] is JsonObject additional ? Convert(additional) : Deduced;
                if (fields is null && element == Deduced && s["x-kubernetes-map-type"].Str() != "atomic") return DeducedMap;
                return new SsaType { Kind = Shape.Map, Fields = fields, Element = element, Atomic = s["x-kubernetes-map-type"].Str() == "atomic" };
            case "array":
                var items = s["items"] is JsonObject i ? Convert(i) : Deduced;
                return s["x-kubernetes-list-type"].Str() switch
                {
                    "set" => new SsaType { Kind = Shape.List, Element = items, Associative = true },
                    "map" => new SsaType
                    {
                        Kind = Shape.List, Element = items, Associative = true,
                        Keys = (s["x-kubernetes-list-map-keys"] as JsonArray ?? []).Select(k => k.Str()).OfType<string>().ToArray(),
                    },
                    _ => new SsaType { Kind = Shape.List, Element = items, Atomic = true },
                };
            case null when s["x-kubernetes-preserve-unknown-fields"].Bool() == true:
                return Deduced;
            default:
                return Scalar;
        }
    }

    /// <summary>The concrete type of <paramref name="value"/> (deduced types follow the value).</summary>
    public SsaType For(JsonNode? value) => Kind switch
    {
        Shape.Deduced => value switch { JsonObject => DeducedMap, JsonArray => AtomicList, _ => Scalar },
        Shape.AtomicUntyped => value switch { JsonObject => AtomicMap, JsonArray => AtomicList, _ => Scalar },
        _ => this,
    };

    public SsaType FieldType(string name) => Fields is not null && Fields.TryGetValue(name, out var t) ? t : Element ?? Deduced;

    public bool IsNamedField(string name) => Kind == Shape.Map && Fields?.ContainsKey(name) == true;
}

/// <summary>
/// Field sets and the three walks server-side apply is built on, after sigs.k8s.io/structured-merge-diff v4:
/// a value's field set, the comparison of two values (added, modified, removed), the merge of an applied
/// configuration, and removing items. A path is its <c>fieldsV1</c> keys (<c>f:name</c>, <c>k:{"uid":"1"}</c>,
/// <c>v:"x"</c>, <c>i:0</c>) joined by a newline.
/// </summary>
internal static class StructuredMerge
{
    public const char Separator = '\n';

    public sealed record Comparison(HashSet<string> Added, HashSet<string> Modified, HashSet<string> Removed)
    {
        public bool IsSame => Added.Count == 0 && Modified.Count == 0 && Removed.Count == 0;

        public Comparison Excluding(HashSet<string> fields) =>
            new(RecursiveDifference(Added, fields), RecursiveDifference(Modified, fields), RecursiveDifference(Removed, fields));
    }

    public static string Join(string prefix, string segment) => prefix.Length == 0 ? segment : prefix + Separator + segment;

    public static HashSet<string> NewSet(IEnumerable<string>? paths = null) => new(paths ?? [], StringComparer.Ordinal);

    /// <summary>The path element of a list item: its keys, its value (a set), or its index (an atomic list).</summary>
    public static string ItemElement(SsaType list, int index, JsonNode? item)
    {
        if (!list.Associative) return "i:" + index;
        if (list.Keys.Length == 0) return "v:" + Compact(item);
        var key = new JsonObject();
        foreach (var name in list.Keys.Order(StringComparer.Ordinal)) key[name] = item?[name]?.DeepClone();
        return "k:" + Compact(key);
    }

    private static string Compact(JsonNode? node) => node?.ToJsonString() ?? "null";

    public static HashSet<string> ToFieldSet(JsonNode? value, SsaType type)
    {
        var set = NewSet();
        ToFieldSet(value, type, "", set);
        return set;
    }

    private static void ToFieldSet(JsonNode? value, SsaType declared, string path, HashSet<string> set)
    {
        var type = declared.For(value);
        switch (type.Kind)
        {
            case SsaType.Shape.List when value is JsonArray items && !type.Atomic:
                for (var i = 0; i < items.Count; i++)
                {
                    var child = Join(path, ItemElement(type, i, items[i]));
                    ToFieldSet(items[i], type.Element ?? SsaType.Deduced, child, set);
                    set.Add(child);
                }
                break;
            case SsaType.Shape.Map when value is JsonObject map && !type.Atomic:
                foreach (var (key, child) in map)
                {
                    var childPath = Join(path, "f:" + key);
                    ToFieldSet(child, type.FieldType(key), childPath, set);
                    if (child is null or JsonObject { Count: 0 } || !type.IsNamedField(key)) set.Add(childPath);
                }
                break;
            case SsaType.Shape.List or SsaType.Shape.Map when value is null:
                break;
            default:
                set.Add(path);
                break;
        }
    }

    /// <summary>What changes from <paramref name="lhs"/> to <paramref name="rhs"/> (typed.Compare).</summary>
    /// <param name="topLevel">Which top-level fields to compare (all when null); managedFields never count.</param>
    public static Comparison Compare(JsonNode? lhs, JsonNode? rhs, SsaType type, Func<string, bool>? topLevel = null)
    {
        var c = new Comparison(NewSet(), NewSet(), NewSet());
        Walk(lhs, rhs, type, "", c, topLevel);
        return c;
    }

    /// <summary>The applied configuration merged into the live object (typed.Merge, the right side wins at the leaves).</summary>
    public static JsonNode? Merge(JsonNode? lhs, JsonNode? rhs, SsaType type) => Walk(lhs, rhs, type, "", null);

    /// <summary>Merges (no comparison) or compares (<paramref name="c"/>; nothing is built, a non-null result only says "present").</summary>
    private static JsonNode? Walk(JsonNode? lhs, JsonNode? rhs, SsaType declared, string path, Comparison? c, Func<string, bool>? topLevel = null)
    {
        var lt = lhs is null ? null : declared.For(lhs);
        var rt = rhs is null ? null : declared.For(rhs);
        var type = rt ?? lt!;
        if (lt is not null && rt is not null && lt.Kind != rt.Kind) return Leaf(lhs, rhs, path, c);
        JsonNode? result;
        switch (type.Kind)
        {
            case SsaType.Shape.List:
                {
                    var l = lhs as JsonArray;
                    var r = rhs as JsonArray;
                    if (type.Atomic || ((l is null || l.Count == 0) && (r is null || r.Count == 0))) return Leaf(lhs, rhs, path, c);
                    var right = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
                    var order = new List<string>();
                    for (var i = 0; i < (r?.Count ?? 0); i++)
                    {
                        var pe = ItemElement(type, i, r![i]);
                        right[pe] = r[i];
                        order.Add(pe);
                    }
                    var seen = NewSet();
                    var outItems = new JsonArray();
                    for (var i = 0; i < (l?.Count ?? 0); i++)
                    {
                        var pe = ItemElement(type, i, l![i]);
                        if (!seen.Add(pe)) continue;
                        var merged = Walk(l[i], right.GetValueOrDefault(pe), type.Element ?? SsaType.Deduced, Join(path, pe), c);
                        if (merged is not null && c is null) outItems.Add(merged);
                    }
                    foreach (var pe in order.Where(p => !seen.Contains(p)))
                    {
                        var merged = Walk(null, right[pe], type.Element ?? SsaType.Deduced, Join(path, pe), c);
                        if (merged is not null && c is null) outItems.Add(merged);
                    }
                    result = c is not null ? rhs ?? lhs : outItems.Count > 0 ? outItems : null;
                    break;
                }
            case SsaType.Shape.Map:
                {
                    var l = lhs as JsonObject;
                    var r = rhs as JsonObject;
                    if (type.Atomic || ((l is null || l.Count == 0) && (r is null || r.Count == 0))) return Leaf(lhs, rhs, path, c);
                    var outMap = new JsonObject();
                    var keys = (l?.Select(p => p.Key) ?? []).Concat(r?.Select(p => p.Key) ?? []).Distinct(StringComparer.Ordinal).ToList();
                    foreach (var key in keys)
                    {
                        if (path.Length == 0 && topLevel is not null && !topLevel(key)) continue;
                        if (c is not null && key == "managedFields" && path == "f:metadata") continue;
                        var lv = l?[key];
                        var rv = r?[key];
                        if (lv is null && rv is null) continue;
                        var merged = Walk(lv, rv, type.FieldType(key), Join(path, "f:" + key), c);
                        if (merged is not null && c is null) outMap[key] = merged;
                    }
                    result = c is not null ? rhs ?? lhs : outMap.Count > 0 ? outMap : null;
                    break;
                }
            default:
                return Leaf(lhs, rhs, path, c);
        }
        if (c is not null)
        {
            if (lhs is null) c.Added.Add(path);
            else if (rhs is null) c.Removed.Add(path);
        }
        return result;
    }

    private static JsonNode? Leaf(JsonNode? lhs, JsonNode? rhs, string path, Comparison? c)
    {
        if (c is not null)
        {
            if (lhs is null) c.Added.Add(path);
            else if (rhs is null) c.Removed.Add(path);
            else if (!JsonNode.DeepEquals(lhs, rhs)) c.Modified.Add(path);
            return rhs ?? lhs;
        }
        return (rhs ?? lhs)?.DeepClone();
    }

    /// <summary>The value without the listed fields and items (typed.RemoveItems); null when nothing is left.</summary>
    public static JsonNode? RemoveItems(JsonNode? value, HashSet<string> toRemove, SsaType declared)
    {
        var type = declared.For(value);
        switch (type.Kind)
        {
            case SsaType.Shape.List:
                {
                    if (value is not JsonArray items || items.Count == 0 || type.Atomic) return null;
                    var outItems = new JsonArray();
                    for (var i = 0; i < items.Count; i++)
                    {
                        var pe = ItemElement(type, i, items[i]);
                        if (toRemove.Contains(pe)) continue;
                        var subset = WithPrefix(toRemove, pe);
                        var item = subset.Count > 0 ? RemoveItems(items[i], subset, type.Element ?? SsaType.Deduced) : items[i]?.DeepClone();
                        outItems.Add(item);
                    }
                    return outItems.Count > 0 ? outItems : null;
                }
            case SsaType.Shape.Map:
                {
                    if (value is not JsonObject map || map.Count == 0 || type.Atomic) return null;
                    var outMap = new JsonObject();
                    foreach (var (key, child) in map)
                    {
                        var pe = "f:" + key;
                        if (toRemove.Contains(pe)) continue;
                        var subset = WithPrefix(toRemove, pe);
                        outMap[key] = subset.Count > 0 ? RemoveItems(child, subset, type.FieldType(key)) : child?.DeepClone();
                    }
                    return outMap.Count > 0 ? outMap : null;
                }
            default:
                return value?.DeepClone();
        }
    }

    /// <summary>The paths under <paramref name="element"/>, relative to it.</summary>
    public static HashSet<string> WithPrefix(HashSet<string> set, string element)
    {
        var prefix = element + Separator;
        return NewSet(set.Where(p => p.StartsWith(prefix, StringComparison.Ordinal)).Select(p => p[prefix.Length..]));
    }

    /// <summary>The set with every path under a path of <paramref name="removed"/> (or equal to one) taken out.</summary>
    public static HashSet<string> RecursiveDifference(HashSet<string> set, HashSet<string> removed) =>
        NewSet(set.Where(p => !removed.Any(r => p == r || p.StartsWith(r + Separator, StringComparison.Ordinal))));

    /// <summary>The set plus the struct fields its paths pass through (Set.EnsureNamedFieldsAreMembers).</summary>
    public static HashSet<string> EnsureNamedFieldsAreMembers(HashSet<string> set, SsaType root)
    {
        var result = NewSet(set);
        foreach (var path in set)
        {
            var segments = path.Split(Separator);
            SsaType? type = root;
            for (var i = 0; i < segments.Length - 1 && type is not null; i++)
            {
                var segment = segments[i];
                if (segment.StartsWith("f:", StringComparison.Ordinal))
                {
                    var name = segment[2..];
                    if (type.IsNamedField(name)) result.Add(string.Join(Separator, segments[..(i + 1)]));
                    type = type.Kind == SsaType.Shape.Map ? type.FieldType(name) : null;
                }
                else if (segment.StartsWith("k:", StringComparison.Ordinal))
                {
                    type = type.Kind == SsaType.Shape.List ? type.Element : null;
                }
                else
                {
                    type = null;
                }
            }
        }
        return result;
    }

    /// <summary>A path as the API server prints it: <c>.spec.components</c>, <c>.metadata.finalizers[="x"]</c>, <c>[uid="1"]</c>.</summary>
    public static string Render(string path) => string.Concat(path.Split(Separator).Select(RenderElement));

    private static string RenderElement(string segment)
    {
        var body = segment[2..];
        return segment[..2] switch
        {
            "f:" => "." + body,
            "v:" => "[=" + GoString(JsonNode.Parse(body)) + "]",
            "k:" => "[" + string.Join(",", JsonNode.Parse(body)!.AsObject().Select(p => $"{p.Key}={GoString(p.Value)}")) + "]",
            _ => "[" + body + "]",
        };
    }

    private static string GoString(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => JsonSerializer.Serialize(v.GetValue<string>()),
        _ => value.ToJsonString(),
    };

    /// <summary>The <c>fieldsV1</c> tree of a set: <c>{}</c> for a leaf, <c>".": {}</c> where a member has children.</summary>
    public static JsonObject ToFieldsV1(HashSet<string> set)
    {
        var root = new SortedDictionary<string, object>(ElementOrder.Instance);
        foreach (var path in set)
        {
            var node = root;
            foreach (var segment in path.Split(Separator))
            {
                if (!node.TryGetValue(segment, out var next))
                {
                    next = new SortedDictionary<string, object>(ElementOrder.Instance);
                    node[segment] = next;
                }
                node = (SortedDictionary<string, object>)next;
            }
            node["."] = true;
        }
        return Render(root);
    }

    private static JsonObject Render(SortedDictionary<string, object> node)
    {
        var json = new JsonObject();
        var member = node.ContainsKey(".");
        var children = node.Where(p => p.Key != ".").ToList();
        if (member && children.Count > 0) json["."] = new JsonObject();
        foreach (var (key, child) in children) json[key] = Render((SortedDictionary<string, object>)child);
        return json;
    }

    public static HashSet<string> FromFieldsV1(JsonObject? fields)
    {
        var set = NewSet();
        if (fields is not null) Collect(fields, "", set);
        return set;
    }

    private static void Collect(JsonObject fields, string prefix, HashSet<string> set)
    {
        foreach (var (key, value) in fields)
        {
            if (key == ".")
            {
                if (prefix.Length > 0) set.Add(prefix);
                continue;
            }
            var path = Join(prefix, key);
            if (value is JsonObject { Count: > 0 } child) Collect(child, path, set);
            else set.Add(path);
        }
    }

    /// <summary>fieldsV1 order: fields, then keys, then values, then indexes ("." first).</summary>
    private sealed class ElementOrder : IComparer<string>
    {
        public static ElementOrder Instance { get; } = new();

        public int Compare(string? x, string? y)
        {
            if (x == y) return 0;
            if (x == ".") return -1;
            if (y == ".") return 1;
            var rank = Rank(x!).CompareTo(Rank(y!));
            if (rank != 0) return rank;
            if (x!.StartsWith("i:", StringComparison.Ordinal)) return int.Parse(x[2..]).CompareTo(int.Parse(y![2..]));
            return string.CompareOrdinal(x, y);
        }

        private static int Rank(string s) => s[0] switch { 'f' => 0, 'k' => 1, 'v' => 2, _ => 3 };
    }
}
