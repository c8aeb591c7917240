namespace QuayGateway.Sandbox.Kubernetes;

// What a state folder keeps of the store (see SandboxState): every live object as stored, the revision counter, so
// resourceVersions keep rising across a restart and no client sees one go back, and the watch history, so a watch
// resumes across a restart as it does against etcd within its compaction window.
public sealed partial class ObjectStore
{
    /// <summary>
    /// A consistent copy of the store: the live objects (resource plural and stored JSON), the revision they stand
    /// at, the object versions only the watch history still holds, and the history's events. An event names its
    /// object and the version it replaced by index into <c>Objects</c> followed by <c>Versions</c>, so a version the
    /// live map and the history share (the latest of each object) is written once.
    /// </summary>
    internal StoreSnapshot Snapshot()
    {
        lock (_gate)
        {
            var objects = new List<(string, byte[])>();
            var index = new Dictionary<StoredObject, int>(ReferenceEqualityComparer.Instance);
            foreach (var (resource, bucket) in _objects)
            {
                foreach (var stored in bucket.In(null))
                {
                    index[stored] = objects.Count;
                    objects.Add((resource, stored.Json));
                }
            }

            var versions = new List<byte[]>();
            int Ref(StoredObject stored)
            {
                if (index.TryGetValue(stored, out var i)) return i;
                index[stored] = i = objects.Count + versions.Count;
                versions.Add(stored.Json);
                return i;
            }

            var history = _history.Select(e => new HistoryEntry(e.Revision, e.Type, e.Resource, Ref(e.Object), e.Previous is null ? null : Ref(e.Previous))).ToList();
            return new StoreSnapshot(_revision, objects, versions, history);
        }
    }

    /// <summary>What <see cref="Snapshot"/> takes and <see cref="Restore"/> puts back.</summary>
    internal sealed record StoreSnapshot(long Revision, IReadOnlyList<(string Resource, byte[] Json)> Objects, IReadOnlyList<byte[]> Versions, IReadOnlyList<HistoryEntry> History);

    /// <summary>One event of the watch history; <see cref="Object"/> and <see cref="Previous"/> index the snapshot's objects, then its versions.</summary>
#pragma warning disable CA1720 // "Object" as in a watch event.
    internal sealed record HistoryEntry(long Revision, string Type, string Resource, int Object, int? Previous);
#pragma warning restore CA1720

    /// <summary>
    /// Replaces the whole content with a <see cref="Snapshot"/> taken earlier, before anyone subscribes or writes.
    /// The watch history comes back too (at most <c>watchHistoryLimit</c> of its newest events; none from a state
    /// written before the history was kept, and then a watch from before the restart answers 410 Gone and relists).
    /// Resources this build does not know are dropped, with their events.
    /// </summary>
    internal void Restore(StoreSnapshot snapshot)
    {
        lock (_gate)
        {
            if (_subscribers.Length > 0) throw new InvalidOperationException("Restore runs before anything watches the store.");
            _objects.Clear();
            _byUid.Clear();
            _dependents.Clear();
            _history.Clear();
            _pending.Clear();
            var restored = new StoredObject?[snapshot.Objects.Count + snapshot.Versions.Count];
            for (var i = 0; i < snapshot.Objects.Count; i++)
            {
                var (resource, json) = snapshot.Objects[i];
                if (ResourceTypes.Find(resource) is not { } type) continue;
                var stored = restored[i] = Parse(json);
                Bucket(type).Set(stored);
                if (stored.Uid is not { } uid) continue;
                _byUid[uid] = (type, stored.Namespace, stored.Name);
                foreach (var owner in stored.OwnerUids)
                {
                    if (!_dependents.TryGetValue(owner, out var dependents)) _dependents[owner] = dependents = new(StringComparer.Ordinal);
                    dependents.Add(uid);
                }
            }

            StoredObject Version(int i) => restored[i] ??= Parse(snapshot.Versions[i - snapshot.Objects.Count]);
            foreach (var e in snapshot.History.Where(e => e.Revision <= snapshot.Revision).TakeLast(_historyLimit))
            {
                if (ResourceTypes.Find(e.Resource) is null) continue;
                _history.Enqueue(new StoredEvent(e.Revision, e.Type, e.Resource, Version(e.Object), e.Previous is { } p ? Version(p) : null));
            }

            _revision = Math.Max(snapshot.Revision, _revision);
        }

        static StoredObject Parse(byte[] json) => StoredObject.From(System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject());
    }
    /// <summary>
    /// The committed events after <paramref name="after"/> up to <paramref name="upTo"/> (what the state journal
    /// appends), or null when the history no longer reaches back that far (a full snapshot is then the only record).
    /// </summary>
    internal IReadOnlyList<StoredEvent>? EventsAfter(long after, long upTo = long.MaxValue)
    {
        lock (_gate)
        {
            if (after >= Math.Min(_revision, upTo)) return [];
            if (_history.Count == 0 || _history.Peek().Revision > after + 1) return null;
            return _history.Where(e => e.Revision > after && e.Revision <= upTo).ToList();
        }
    }

    /// <summary>
    /// Applies journaled events (see <see cref="EventsAfter"/>) on top of a <see cref="Restore"/>d snapshot, before
    /// anyone subscribes or writes: each puts its object (or removes it, for DELETED) and joins the watch history as
    /// it did when committed. Events the snapshot already holds (revision not above the store's) are skipped.
    /// </summary>
    internal void Replay(IEnumerable<(long Revision, string Type, string Resource, byte[] Json)> events)
    {
        lock (_gate)
        {
            if (_subscribers.Length > 0) throw new InvalidOperationException("Replay runs before anything watches the store.");
            foreach (var (revision, eventType, resource, json) in events)
            {
                if (revision <= _revision) continue;
                _revision = revision;
                if (ResourceTypes.Find(resource) is not { } type) continue;
                var stored = StoredObject.From(System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject());
                var previous = FindStored(type, stored.Namespace, stored.Name);
                Record(type, new StoredEvent(revision, eventType, type.Plural, stored, previous), remove: eventType == "DELETED");
            }

            _pending.Clear();
        }
    }
}
