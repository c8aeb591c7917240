namespace QuayGateway.Sandbox.Kubernetes;

// What a state folder keeps of the store (see SandboxState): every live object as stored, and the revision counter,
// so resourceVersions keep rising across a restart and no client sees one go back.
public sealed partial class ObjectStore
{
    /// <summary>A consistent copy of the live objects (resource plural and stored JSON) and the revision they stand at.</summary>
    internal (long Revision, IReadOnlyList<(string Resource, byte[] Json)> Objects) Snapshot()
    {
        lock (_gate)
        {
            var objects = new List<(string, byte[])>();
            foreach (var (resource, bucket) in _objects)
            {
                foreach (var stored in bucket.In(null))
                {
                    objects.Add((resource, stored.Json));
                }
            }

            return (_revision, objects);
        }
    }

    /// <summary>
    /// Replaces the whole content with a <see cref="Snapshot"/> taken earlier, before anyone subscribes or writes.
    /// The watch history starts empty: a watch that resumes from before the restart answers 410 Gone and relists,
    /// as after an etcd compaction. Resources this build does not know are dropped.
    /// </summary>
    internal void Restore(long revision, IEnumerable<(string Resource, byte[] Json)> objects)
    {
        lock (_gate)
        {
            if (_subscribers.Length > 0) throw new InvalidOperationException("Restore runs before anything watches the store.");
            _objects.Clear();
            _byUid.Clear();
            _dependents.Clear();
            _history.Clear();
            _pending.Clear();
            foreach (var (resource, json) in objects)
            {
                if (ResourceTypes.Find(resource) is not { } type) continue;
                var stored = StoredObject.From(System.Text.Json.Nodes.JsonNode.Parse(json)!.AsObject());
                Bucket(type).Set(stored);
                if (stored.Uid is not { } uid) continue;
                _byUid[uid] = (type, stored.Namespace, stored.Name);
                foreach (var owner in stored.OwnerUids)
                {
                    if (!_dependents.TryGetValue(owner, out var dependents)) _dependents[owner] = dependents = new(StringComparer.Ordinal);
                    dependents.Add(uid);
                }
            }

            _revision = Math.Max(revision, _revision);
        }
    }
}
