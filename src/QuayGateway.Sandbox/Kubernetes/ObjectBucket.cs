namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// The objects of one resource type, indexed by namespace so a namespaced list or a namespace's teardown never
/// scans the others. Listing order is the apiserver's key order, <c>namespace/name</c>, ordinal.
/// </summary>
internal sealed class ObjectBucket
{
    // Ordering namespaces by "ns/" keeps "ns/name" key order exactly ("a-b/x" sorts before "a/x").
    private static readonly IComparer<string> NamespaceOrder =
        Comparer<string>.Create((a, b) => string.CompareOrdinal(a + "/", b + "/"));

    private readonly SortedDictionary<string, SortedDictionary<string, StoredObject>> _byNamespace = new(NamespaceOrder);

    public int Count { get; private set; }

    public StoredObject? Get(string? ns, string name) =>
        _byNamespace.TryGetValue(ns ?? "", out var names) && names.TryGetValue(name, out var obj) ? obj : null;

    public void Set(StoredObject obj)
    {
        var ns = obj.Namespace ?? "";
        if (!_byNamespace.TryGetValue(ns, out var names))
        {
            names = new SortedDictionary<string, StoredObject>(StringComparer.Ordinal);
            _byNamespace[ns] = names;
        }
        if (names.TryAdd(obj.Name, obj)) Count++;
        else names[obj.Name] = obj;
    }

    public void Remove(string? ns, string name)
    {
        if (!_byNamespace.TryGetValue(ns ?? "", out var names) || !names.Remove(name)) return;
        Count--;
        if (names.Count == 0) _byNamespace.Remove(ns ?? "");
    }

    public bool AnyIn(string ns) => _byNamespace.ContainsKey(ns);

    /// <summary>The objects of one namespace, or of all when <paramref name="ns"/> is null, in key order.</summary>
    public IEnumerable<StoredObject> In(string? ns)
    {
        if (ns is not null)
        {
            return _byNamespace.TryGetValue(ns, out var names) ? names.Values : [];
        }
        return _byNamespace.Values.SelectMany(names => names.Values);
    }
}
