using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// The sandbox cluster's etcd and apiserver semantics in one in-memory, thread-safe store. Objects are kept once,
/// as UTF-8 JSON (<see cref="StoredObject"/>), keyed by resource plural ("quayregistries", "pods"), namespace and
/// name. Every commit takes the next cluster-wide resourceVersion and produces exactly one <see cref="WatchEvent"/>;
/// the watch history is a bounded window of those events sharing the stored versions, as etcd's compaction is.
/// Failures throw <see cref="KubernetesStatusException"/> worded as a real apiserver words them.
/// Methods never hand out the stored instances: results and events are copies the caller may change.
/// <c>fieldManager</c> parameters default to "sandbox"; pass your controller's name to show up in managedFields.
/// </summary>
public sealed partial class ObjectStore
{
    internal const string DefaultFieldManager = "sandbox";

    private readonly Lock _gate = new();
    private readonly Dictionary<string, ObjectBucket> _objects = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (ResourceType Type, string? Namespace, string Name)> _byUid = new(StringComparer.Ordinal);
    // Owner uid -> uids of the objects naming it in ownerReferences: the garbage collector's index.
    private readonly Dictionary<string, HashSet<string>> _dependents = new(StringComparer.Ordinal);
    private readonly Queue<StoredEvent> _history = new();
    private readonly ConcurrentQueue<StoredEvent> _pending = new();
    private readonly Lock _dispatchGate = new();
    private readonly TimeProvider _time;
    private readonly int _historyLimit;
    private Subscriber[] _subscribers = [];
    private bool _dispatching;
    private long _revision;

    /// <param name="watchHistoryLimit">How many events a watch can resume over; older resourceVersions answer 410 Gone.</param>
    public ObjectStore(int watchHistoryLimit = 10_000, TimeProvider? timeProvider = null)
        : this(watchHistoryLimit, timeProvider, null)
    {
    }

    /// <param name="quayRegistrySchema">The QuayRegistry schema this cluster's CRD has (the master CRD by default).</param>
    internal ObjectStore(int watchHistoryLimit, TimeProvider? timeProvider, QuayRegistrySchema? quayRegistrySchema)
    {
        QuayRegistrySchema = quayRegistrySchema ?? QuayRegistrySchema.Instance;
        ArgumentOutOfRangeException.ThrowIfLessThan(watchHistoryLimit, 1);
        _historyLimit = watchHistoryLimit;
        _time = timeProvider ?? TimeProvider.System;
        foreach (var ns in new[] { "default", "kube-system", "kube-public" })
        {
            Create("namespaces", null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        }
    }

    public long CurrentResourceVersion
    {
        get { lock (_gate) return _revision; }
    }

    internal TimeProvider Time => _time;

    internal QuayRegistrySchema QuayRegistrySchema { get; }

    public JsonObject Create(string resource, string? ns, JsonObject obj, string? fieldManager = null) =>
        CreateStored(resource, ns, obj, fieldManager).Parse();

    public JsonObject? Get(string resource, string? ns, string name)
    {
        var type = ResourceTypes.Require(resource);
        StoredObject? found;
        lock (_gate) found = FindStored(type, ns, name);
        return found?.Parse();
    }

    public IReadOnlyList<JsonObject> List(string resource, string? ns, string? labelSelector = null) =>
        ListCore(ResourceTypes.Require(resource), ns, LabelSelector.Parse(labelSelector), null).Items;

    /// <summary>Replaces spec and metadata. For resources with a status subresource the given status is ignored.</summary>
    public JsonObject Update(string resource, string? ns, JsonObject obj, string? fieldManager = null) =>
        UpdateStored(resource, ns, obj, fieldManager).Parse();

    /// <summary>Replaces status only; spec and metadata changes in <paramref name="obj"/> are ignored.</summary>
    public JsonObject UpdateStatus(string resource, string? ns, JsonObject obj, string? fieldManager = null) =>
        UpdateStatusStored(resource, ns, obj, fieldManager).Parse();

    public JsonObject MergePatch(string resource, string? ns, string name, JsonNode patch, bool status = false, string? fieldManager = null) =>
        Write(() => MergePatchCore(ResourceTypes.Require(resource), ns, name, patch, status, fieldManager ?? DefaultFieldManager, dryRun: false)).Parse();

    /// <summary>Server-side apply: creates or merges by field ownership (see <see cref="FieldOwnership"/>).</summary>
    public JsonObject Apply(string resource, string? ns, JsonObject obj, string fieldManager, bool force) =>
        Write(() => ApplyCore(ResourceTypes.Require(resource), ns, obj, fieldManager, force, status: false, dryRun: false)).Parse();

    /// <summary>
    /// Deletes, or with finalizers present only sets <c>deletionTimestamp</c>; the object goes once a later write
    /// empties its finalizers. Objects owned (ownerReferences) by a removed object are collected; a namespace takes
    /// its content with it. Returns the object as it is after the call.
    /// </summary>
    public JsonObject Delete(string resource, string? ns, string name) =>
        Write(() => DeleteCore(ResourceTypes.Require(resource), ns, name, dryRun: false).Object).Parse();

    /// <summary>
    /// <paramref name="onChange"/> runs after each committed change, outside the store's lock, in commit order,
    /// and gets its own copy of the object. Keep it quick: commits wait while handlers run.
    /// </summary>
    public IDisposable Subscribe(Action<WatchEvent> onChange)
    {
        lock (_gate) return AddSubscriber(e => onChange(new WatchEvent(e.Type, e.Resource, e.Object.Parse())));
    }

    // Writes that hand back the stored version, for callers (the operator) that seldom read the result: no copy.
    // With owned: true the caller gives up obj (it builds it for this write and never reads it again), so the store
    // may change it instead of copying it first.

    internal StoredObject CreateStored(string resource, string? ns, JsonObject obj, string? fieldManager = null, bool owned = false) =>
        Write(() => CreateCore(ResourceTypes.Require(resource), ns, obj, fieldManager ?? DefaultFieldManager, dryRun: false, owned: owned));

    internal StoredObject UpdateStored(string resource, string? ns, JsonObject obj, string? fieldManager = null) =>
        Write(() => UpdateCore(ResourceTypes.Require(resource), ns, obj, fieldManager ?? DefaultFieldManager, dryRun: false));

    internal StoredObject UpdateStatusStored(string resource, string? ns, JsonObject obj, string? fieldManager = null, bool owned = false) =>
        Write(() => UpdateStatusCore(ResourceTypes.Require(resource), ns, obj, fieldManager ?? DefaultFieldManager, dryRun: false, owned: owned));

    /// <summary>Like <see cref="Subscribe"/>, with the stored versions themselves: read them, never change them.</summary>
    internal IDisposable SubscribeStored(Action<StoredEvent> onChange)
    {
        lock (_gate) return AddSubscriber(onChange);
    }

    // ---- Internals the HTTP layer uses ----

    /// <summary>A committed change; <paramref name="Previous"/> is the version it replaced (null for ADDED).</summary>
    internal sealed record StoredEvent(long Revision, string Type, string Resource, StoredObject Object, StoredObject? Previous);

    internal sealed record ListResult(IReadOnlyList<JsonObject> Items, long Revision);

    internal sealed record DeleteResult(StoredObject Object, bool Pending);

    private sealed class Subscriber(Action<StoredEvent> onEvent, long afterRevision)
    {
        public void Deliver(StoredEvent e)
        {
            if (e.Revision <= afterRevision) return;
            try
            {
                onEvent(e);
            }
            catch (Exception ex)
            {
                // A failing subscriber must not break the store or the other subscribers.
                Trace.TraceError($"ObjectStore subscriber failed: {ex}");
            }
        }
    }

    internal ListResult ListCore(ResourceType type, string? ns, LabelSelector? labels, Func<JsonObject, bool>? fields)
    {
        List<StoredObject> matching = [];
        long revision;
        lock (_gate)
        {
            foreach (var o in Bucket(type).In(ns))
            {
                if (labels is null || labels.Matches(o.Labels)) matching.Add(o);
            }
            revision = _revision;
        }
        // Stored versions are immutable, so the copies are made outside the lock.
        var items = new List<JsonObject>(matching.Count);
        foreach (var o in matching)
        {
            var obj = o.Parse();
            if (fields is null || fields(obj)) items.Add(obj);
        }
        return new ListResult(items, revision);
    }

    /// <summary>
    /// Opens a watch atomically: the backlog (synthetic ADDED events when <paramref name="fromRevision"/> is null,
    /// otherwise the history after it) and a subscription for everything later, without gaps or duplicates.
    /// The backlog and delivered events share the store's snapshots: read them, never change them.
    /// </summary>
    internal IDisposable OpenWatch(ResourceType type, long? fromRevision, Action<StoredEvent> onEvent, out IReadOnlyList<StoredEvent> backlog)
    {
        lock (_gate)
        {
            if (fromRevision is null)
            {
                backlog = Bucket(type).In(null).Select(o => new StoredEvent(_revision, "ADDED", type.Plural, o, null)).ToList();
            }
            else
            {
                ThrowIfExpired(fromRevision.Value);
                backlog = _history.Where(e => e.Revision > fromRevision.Value && e.Resource == type.Plural).ToList();
            }
            return AddSubscriber(onEvent);
        }
    }

    /// <summary>410 Gone when the events after <paramref name="revision"/> have left the history window.</summary>
    internal void ThrowIfExpired(long revision)
    {
        lock (_gate)
        {
            var oldest = _history.Count > 0 ? _history.Peek().Revision : _revision + 1;
            if (revision < oldest - 1)
                throw KubernetesStatusException.Gone($"too old resource version: {revision} ({oldest - 1})");
        }
    }

    internal StoredObject CreateCore(ResourceType type, string? ns, JsonObject input, string fieldManager, bool dryRun, JsonObject? appliedByManager = null, bool owned = false)
    {
        var obj = owned ? input : (JsonObject)input.DeepClone();
        var meta = obj.Metadata();
        ns = ResolveNamespace(type, ns, obj);
        obj["apiVersion"] = type.ApiVersion;
        obj["kind"] = type.Kind;
        var name = obj.Name();
        if (string.IsNullOrEmpty(name))
        {
            var prefix = meta["generateName"].Str();
            if (string.IsNullOrEmpty(prefix))
                throw KubernetesStatusException.Invalid(type, "", [("FieldValueRequired", "metadata.name", "Required value: name or generateName is required")]);
            name = ObjectNames.Generate(prefix);
            meta["name"] = name;
        }
        if (ObjectNames.Problem(type, name) is { } problem)
            throw KubernetesStatusException.Invalid(type, name, [("FieldValueInvalid", "metadata.name", problem)]);

        lock (_gate)
        {
            if (ns is not null)
            {
                var owner = FindStored(ResourceTypes.Namespaces, null, ns) ?? throw KubernetesStatusException.NotFound(ResourceTypes.Namespaces, ns);
                if (owner.Deleting)
                    throw KubernetesStatusException.Forbidden(type, name, $"unable to create new content in namespace {ns} because it is being terminated");
            }
            foreach (var system in new[] { "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "managedFields", "selfLink" })
            {
                meta.Remove(system);
            }
            Admission.Validate(type, obj, QuayRegistrySchema); // as on a real server, an invalid object is 422 even when the name is taken
            if (FindStored(type, ns, name) is not null) throw KubernetesStatusException.AlreadyExists(type, name);
            var now = Now();
            meta["uid"] = Guid.NewGuid().ToString();
            meta["creationTimestamp"] = now;
            if (type.TracksGeneration) meta["generation"] = 1L;
            Admission.Default(type, obj);
            if (appliedByManager is not null) meta["managedFields"] = appliedByManager["metadata"]?["managedFields"]?.DeepClone();
            else FieldOwnership.RecordUpdate(null, obj, fieldManager, null, type.ApiVersion, now);
            if (dryRun) return StoredObject.From(obj);
            return Commit(type, "ADDED", null, obj);
        }
    }

    internal StoredObject UpdateCore(ResourceType type, string? ns, JsonObject input, string fieldManager, bool dryRun)
    {
        var name = input.Name() ?? throw KubernetesStatusException.BadRequest("name is required");
        lock (_gate)
        {
            var stored = FindStoredOrThrow(type, ns, name);
            CheckPrecondition(type, input, stored);
            var existing = stored.Parse();
            var proposed = (JsonObject)input.DeepClone();
            CarrySystemFields(existing, proposed);
            if (type.HasStatus) CopyStatus(existing, proposed);
            return Finish(type, stored, existing, proposed, dryRun, p => FieldOwnership.RecordUpdate(existing, p, fieldManager, null, type.ApiVersion, Now()));
        }
    }

    internal StoredObject UpdateStatusCore(ResourceType type, string? ns, JsonObject input, string fieldManager, bool dryRun, bool owned = false)
    {
        if (!type.HasStatus) throw KubernetesStatusException.NotFound("the server could not find the requested resource");
        var name = input.Name() ?? throw KubernetesStatusException.BadRequest("name is required");
        lock (_gate)
        {
            var stored = FindStoredOrThrow(type, ns, name);
            CheckPrecondition(type, input, stored);
            var existing = stored.Parse();
            var proposed = stored.Parse();
            if (owned && input["status"] is { } status)
            {
                input.Remove("status");
                proposed["status"] = status;
            }
            else
            {
                CopyStatus(input, proposed);
            }
            return Finish(type, stored, existing, proposed, dryRun, p => FieldOwnership.RecordUpdate(existing, p, fieldManager, "status", type.ApiVersion, Now()), statusOnly: true);
        }
    }

    internal StoredObject MergePatchCore(ResourceType type, string? ns, string name, JsonNode patch, bool status, string fieldManager, bool dryRun)
    {
        if (patch is not JsonObject) throw KubernetesStatusException.BadRequest("json: cannot unmarshal into Go value of type map[string]interface {}");
        lock (_gate)
        {
            var existing = FindOrThrow(type, ns, name);
            var merged = (JsonObject)JsonMergePatch.Apply(existing, patch)!;
            merged.Metadata()["name"] = name;
            return status
                ? UpdateStatusCore(type, ns, merged, fieldManager, dryRun)
                : UpdateCore(type, ns, merged, fieldManager, dryRun);
        }
    }

    internal StoredObject JsonPatchCore(ResourceType type, string? ns, string name, JsonNode patch, bool status, string fieldManager, bool dryRun)
    {
        lock (_gate)
        {
            var patched = JsonPatch.Apply(FindOrThrow(type, ns, name), patch);
            patched.Metadata()["name"] = name;
            return status
                ? UpdateStatusCore(type, ns, patched, fieldManager, dryRun)
                : UpdateCore(type, ns, patched, fieldManager, dryRun);
        }
    }

    internal StoredObject ApplyCore(ResourceType type, string? ns, JsonObject applied, string fieldManager, bool force, bool status, bool dryRun)
    {
        if (applied["apiVersion"].Str() is null) throw KubernetesStatusException.BadRequest("apiVersion must be set");
        if (applied["kind"].Str() is null) throw KubernetesStatusException.BadRequest("kind must be set");
        var name = applied.Name() ?? throw KubernetesStatusException.BadRequest("metadata.name is required");
        lock (_gate)
        {
            var resolvedNs = ResolveNamespace(type, ns, applied);
            var stored = FindStored(type, resolvedNs, name);
            var existing = stored?.Parse();
            var subresource = status ? "status" : null;
            var now = Now();
            if (existing is null)
            {
                if (status) throw KubernetesStatusException.NotFound(type, name);
                var created = FieldOwnership.Apply(null, WithoutStatus(type, applied), fieldManager, force, null, type.ApiVersion, now);
                var fresh = (JsonObject)applied.DeepClone();
                if (type.HasStatus) fresh.Remove("status");
                return CreateCore(type, resolvedNs, fresh, fieldManager, dryRun, appliedByManager: created);
            }
            CheckPrecondition(type, applied, stored!);
            var merged = FieldOwnership.Apply(existing, status ? applied : WithoutStatus(type, applied), fieldManager, force, subresource, type.ApiVersion, now);
            var ownership = merged["metadata"]?["managedFields"]?.DeepClone();
            CarrySystemFields(existing, merged);
            merged.Metadata()["managedFields"] = ownership;
            if (!status && type.HasStatus) CopyStatus(existing, merged);
            return Finish(type, stored!, existing, merged, dryRun, recordOwnership: null);
        }
    }

    /// <summary>What a DELETE's DeleteOptions may ask: preconditions, and orphaning the dependents instead of collecting them.</summary>
    internal sealed record DeleteOptions(string? PreconditionUid = null, string? PreconditionResourceVersion = null, bool Orphan = false);

    internal DeleteResult DeleteCore(ResourceType type, string? ns, string name, bool dryRun, DeleteOptions? options = null)
    {
        lock (_gate)
        {
            var existing = FindStoredOrThrow(type, ns, name);
            if (options?.PreconditionUid is { } uid && uid != existing.Uid)
                throw KubernetesStatusException.Conflict(type, name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {existing.Uid}");
            if (options?.PreconditionResourceVersion is { } rv && rv != existing.ResourceVersion)
                throw KubernetesStatusException.Conflict(type, name, $"Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {existing.ResourceVersion}");
            if (dryRun) return new DeleteResult(existing, existing.HasFinalizers);
            if (type == ResourceTypes.Namespaces) return DeleteNamespace(existing);
            if (existing.HasFinalizers)
            {
                if (existing.Deleting) return new DeleteResult(existing, true);
                var marked = existing.Parse();
                marked.Metadata()["deletionTimestamp"] = Now();
                marked.Metadata()["deletionGracePeriodSeconds"] = 0L;
                return new DeleteResult(Commit(type, "MODIFIED", existing, marked), true);
            }
            return new DeleteResult(Remove(type, existing.Parse(), collectDependents: options?.Orphan != true), false);
        }
    }

    // ---- Commit machinery ----

    /// <summary>Runs a write and then delivers its events; every write from outside the store goes through here.</summary>
    internal T Write<T>(Func<T> write)
    {
        try
        {
            return write();
        }
        finally
        {
            Dispatch();
        }
    }

    /// <param name="statusOnly">
    /// The proposal is the stored object with another status (the status subresource): spec and metadata are
    /// equal by construction, so only status is compared, and the rest is never materialised.
    /// </param>
    private StoredObject Finish(ResourceType type, StoredObject stored, JsonObject existing, JsonObject proposed, bool dryRun, Action<JsonObject>? recordOwnership, bool statusOnly = false)
    {
        var name = existing.Name()!;
        Admission.Validate(type, proposed, QuayRegistrySchema);
        var newFinalizers = proposed.Finalizers().Except(existing.Finalizers()).ToList();
        if (existing.IsDeleting() && newFinalizers.Count > 0)
        {
            throw KubernetesStatusException.Invalid(type, name, [("FieldValueForbidden", "metadata.finalizers",
                $"Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{string.Join(", ", newFinalizers.Select(f => $"\"{f}\""))}}}")]);
        }
        if (type.TracksGeneration && !statusOnly && !SameContent(existing, proposed))
        {
            proposed.Metadata()["generation"] = (existing["metadata"]?["generation"].Long() ?? 0) + 1;
        }
        if (statusOnly ? JsonNode.DeepEquals(existing["status"], proposed["status"]) && existing.ContainsKey("status") == proposed.ContainsKey("status")
            : SameExceptBookkeeping(existing, proposed)) return stored;
        recordOwnership?.Invoke(proposed);
        if (dryRun) return StoredObject.From(proposed);
        if (existing.IsDeleting() && proposed.Finalizers().Count == 0) return Remove(type, proposed);
        return Commit(type, "MODIFIED", stored, proposed);
    }

    private DeleteResult DeleteNamespace(StoredObject existing)
    {
        var ns = existing.Name;
        var current = existing;
        if (!existing.Deleting)
        {
            var marked = existing.Parse();
            marked.Metadata()["deletionTimestamp"] = Now();
            marked.Metadata()["deletionGracePeriodSeconds"] = 0L;
            marked["status"] = new JsonObject { ["phase"] = "Terminating" };
            current = Commit(ResourceTypes.Namespaces, "MODIFIED", existing, marked);
            foreach (var type in ResourceTypes.Known.Where(t => t.Namespaced))
            {
                foreach (var obj in Bucket(type).In(ns).ToList())
                {
                    if (FindStored(type, ns, obj.Name) is not null) DeleteCore(type, ns, obj.Name, dryRun: false);
                }
            }
        }
        var gone = TryFinishNamespace(ns);
        return new DeleteResult(gone ?? current, gone is null);
    }

    /// <summary>The namespace controller: a terminating namespace goes once nothing is left in it.</summary>
    private StoredObject? TryFinishNamespace(string ns)
    {
        var namespaceObject = FindStored(ResourceTypes.Namespaces, null, ns);
        if (namespaceObject is null || !namespaceObject.Deleting) return null;
        foreach (var type in ResourceTypes.Known)
        {
            if (type.Namespaced && Bucket(type).AnyIn(ns)) return null;
        }
        return Remove(ResourceTypes.Namespaces, namespaceObject.Parse());
    }

    private StoredObject Remove(ResourceType type, JsonObject last, bool collectDependents = true)
    {
        var removed = Commit(type, "DELETED", FindStored(type, last.Namespace(), last.Name()!), last, remove: true);
        if (collectDependents) CollectGarbage(removed.Uid);
        if (removed.Namespace is { } ns) TryFinishNamespace(ns);
        return removed;
    }

    /// <summary>The garbage collector: objects whose every owner is gone are deleted in the background.</summary>
    private void CollectGarbage(string? removedUid)
    {
        if (removedUid is null || !_dependents.Remove(removedUid, out var dependentUids)) return;
        var orphans = new List<(ResourceType Type, string? Namespace, string Name)>();
        foreach (var uid in dependentUids)
        {
            if (_byUid.TryGetValue(uid, out var at) && FindStored(at.Type, at.Namespace, at.Name) is { } dependent
                && !dependent.OwnerUids.Any(_byUid.ContainsKey))
                orphans.Add(at);
        }
        // In the order a scan by type and key would find them, as before the index.
        orphans.Sort((a, b) => a.Type == b.Type
            ? string.CompareOrdinal(Key(a.Namespace, a.Name), Key(b.Namespace, b.Name))
            : IndexOf(a.Type).CompareTo(IndexOf(b.Type)));
        foreach (var (type, ns, name) in orphans)
        {
            if (FindStored(type, ns, name) is { } still && !still.Deleting) DeleteCore(type, ns, name, dryRun: false);
        }
    }

    /// <summary>Stamps the next resourceVersion, stores the object once and records the event; returns a fresh copy.</summary>
    private StoredObject Commit(ResourceType type, string eventType, StoredObject? previous, JsonObject obj, bool remove = false)
    {
        var revision = ++_revision;
        obj.Metadata()["resourceVersion"] = revision.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Record(type, new StoredEvent(revision, eventType, type.Plural, StoredObject.From(obj), previous), remove);
    }

    /// <summary>Puts a committed (or replayed, see <see cref="Replay"/>) event into the maps and the history, and queues it for delivery.</summary>
    private StoredObject Record(ResourceType type, StoredEvent e, bool remove)
    {
        var (stored, previous) = (e.Object, e.Previous);
        var uid = stored.Uid!;
        if (previous is not null) Unlink(uid, previous.OwnerUids);
        if (remove)
        {
            Bucket(type).Remove(stored.Namespace, stored.Name);
            _byUid.Remove(uid);
        }
        else
        {
            Bucket(type).Set(stored);
            _byUid[uid] = (type, stored.Namespace, stored.Name);
            foreach (var owner in stored.OwnerUids)
            {
                if (!_dependents.TryGetValue(owner, out var dependents)) _dependents[owner] = dependents = new(StringComparer.Ordinal);
                dependents.Add(uid);
            }
        }
        _history.Enqueue(e);
        while (_history.Count > _historyLimit) _history.Dequeue();
        _pending.Enqueue(e);
        return stored;
    }

    private void Unlink(string uid, string[] owners)
    {
        foreach (var owner in owners)
        {
            if (_dependents.TryGetValue(owner, out var dependents) && dependents.Remove(uid) && dependents.Count == 0) _dependents.Remove(owner);
        }
    }

    /// <summary>Delivers pending events in commit order; one thread at a time, never under the store's lock.</summary>
    private void Dispatch()
    {
        while (!_pending.IsEmpty)
        {
            if (!_dispatchGate.TryEnter()) return; // the thread that holds it re-checks the queue after releasing
            try
            {
                if (_dispatching) return; // a handler wrote to the store; the outer loop delivers that event next
                _dispatching = true;
                try
                {
                    while (_pending.TryDequeue(out var e))
                    {
                        foreach (var subscriber in Volatile.Read(ref _subscribers)) subscriber.Deliver(e);
                    }
                }
                finally
                {
                    _dispatching = false;
                }
            }
            finally
            {
                _dispatchGate.Exit();
            }
        }
    }

    private Unsubscriber AddSubscriber(Action<StoredEvent> onEvent)
    {
        var subscriber = new Subscriber(onEvent, _revision);
        _subscribers = [.. _subscribers, subscriber];
        return new Unsubscriber(() =>
        {
            lock (_gate) _subscribers = _subscribers.Where(s => s != subscriber).ToArray();
        });
    }

    private sealed class Unsubscriber(Action dispose) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) dispose();
        }
    }

    // ---- Helpers ----

    private ObjectBucket Bucket(ResourceType type)
    {
        if (!_objects.TryGetValue(type.Plural, out var bucket))
        {
            bucket = new ObjectBucket();
            _objects[type.Plural] = bucket;
        }
        return bucket;
    }

    private static string Key(string? ns, string name) => $"{ns}/{name}";

    private static int IndexOf(ResourceType type)
    {
        for (var i = 0; i < ResourceTypes.Known.Count; i++)
        {
            if (ResourceTypes.Known[i] == type) return i;
        }
        return int.MaxValue;
    }

    private StoredObject? FindStored(ResourceType type, string? ns, string name) => Bucket(type).Get(type.Namespaced ? ns : null, name);

    private StoredObject FindStoredOrThrow(ResourceType type, string? ns, string name) =>
        FindStored(type, ns, name) ?? throw KubernetesStatusException.NotFound(type, name);

    /// <summary>The live object as a fresh copy the caller may change.</summary>
    private JsonObject FindOrThrow(ResourceType type, string? ns, string name) => FindStoredOrThrow(type, ns, name).Parse();

    private string Now() => ObjectMeta.Timestamp(_time.GetUtcNow());

    private static string? ResolveNamespace(ResourceType type, string? ns, JsonObject obj)
    {
        var meta = obj.Metadata();
        if (!type.Namespaced)
        {
            meta.Remove("namespace");
            return null;
        }
        var declared = meta["namespace"].Str();
        if (ns is not null && declared is not null && declared != ns)
            throw KubernetesStatusException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        var resolved = ns ?? declared ?? throw KubernetesStatusException.BadRequest("the namespace of the object is required");
        meta["namespace"] = resolved;
        return resolved;
    }

    private static void CheckPrecondition(ResourceType type, JsonObject input, StoredObject existing)
    {
        var wanted = input.ResourceVersion();
        if (!string.IsNullOrEmpty(wanted) && wanted != existing.ResourceVersion)
            throw KubernetesStatusException.StaleResourceVersion(type, existing.Name);
    }

    /// <summary>Fields only the server writes survive any client write.</summary>
    private static void CarrySystemFields(JsonObject existing, JsonObject proposed)
    {
        var from = existing.Metadata();
        var to = proposed.Metadata();
        foreach (var field in new[] { "name", "namespace", "uid", "creationTimestamp", "generation", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "resourceVersion" })
        {
            if (from[field] is { } value) to[field] = value.DeepClone();
            else to.Remove(field);
        }
        proposed["apiVersion"] = existing["apiVersion"]?.DeepClone();
        proposed["kind"] = existing["kind"]?.DeepClone();
    }

    private static void CopyStatus(JsonObject from, JsonObject to)
    {
        if (from["status"] is { } status) to["status"] = status.DeepClone();
        else to.Remove("status");
    }

    private static JsonObject WithoutStatus(ResourceType type, JsonObject obj)
    {
        if (!type.HasStatus || obj["status"] is null) return obj;
        var copy = (JsonObject)obj.DeepClone();
        copy.Remove("status");
        return copy;
    }

    /// <summary>Equal but for resourceVersion and managedFields; compared in place, without copies.</summary>
    private static bool SameExceptBookkeeping(JsonObject a, JsonObject b) =>
        SameFields(a, b, static key => key == "metadata")
        && SameFields(a["metadata"] as JsonObject ?? [], b["metadata"] as JsonObject ?? [], static key => key is "resourceVersion" or "managedFields");

    /// <summary>Whether what a client owns (see <see cref="ObjectMeta.Content"/>) is the same: a generation bump when not.</summary>
    private static bool SameContent(JsonObject a, JsonObject b) =>
        SameFields(a, b, static key => key is "apiVersion" or "kind" or "metadata" or "status");

    private static bool SameFields(JsonObject a, JsonObject b, Func<string, bool> ignored)
    {
        var count = 0;
        foreach (var (key, value) in a)
        {
            if (ignored(key)) continue;
            count++;
            if (!b.TryGetPropertyValue(key, out var other) || !JsonNode.DeepEquals(value, other)) return false;
        }
        foreach (var (key, _) in b)
        {
            if (!ignored(key)) count--;
        }
        return count == 0;
    }
}
