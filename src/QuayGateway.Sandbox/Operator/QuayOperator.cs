using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using QuayGateway.Sandbox.Faults;
using QuayGateway.Sandbox.Kubernetes;
using QuayGateway.Sandbox.QuayApi;

namespace QuayGateway.Sandbox.Operator;

/// <summary>How the simulated operator behaves.</summary>
/// <param name="Profile"><c>current</c> or <c>3.6</c>.</param>
/// <param name="PhaseDelay">The length of each rollout phase (four phases from creation to Available).</param>
/// <param name="AppsDomain">The cluster's apps domain; route hosts are <c>&lt;name&gt;-quay-&lt;namespace&gt;.&lt;AppsDomain&gt;</c>.</param>
internal sealed record QuayOperatorSettings(string Profile, TimeSpan PhaseDelay, string AppsDomain, string? QuayVersion = null);

/// <summary>
/// The simulated Quay Operator, following the real operator's documented reconcile steps. It reacts to store changes and to its own
/// timers: one work queue, a couple of workers and at most one timer per registry, so thousands of registries can
/// roll out at once. Each reconcile computes the registry's whole desired state for the current phase and writes
/// only what changed.
/// </summary>
internal sealed partial class QuayOperator : IAsyncDisposable
{
    public const string Finalizer = "quay-operator/finalizer";
    private const string FieldManager = "quay-operator";
    private const string SuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    private readonly ObjectStore _store;
    private readonly QuayApiSimulator _quayApi;
    private readonly OperatorFaults _faults;
    private readonly TimeProvider _time;
    private readonly OperatorProfile _profile;
    private readonly QuayOperatorSettings _settings;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, RegistryRollout> _rollouts = new(StringComparer.Ordinal);
    private readonly WorkQueue _queue = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _workers = [];
    private IDisposable? _subscription;
    private int _disposed;

    public QuayOperator(
        ObjectStore store, QuayApiSimulator quayApi, OperatorFaults faults, TimeProvider time, QuayOperatorSettings settings, ILogger? logger = null)
    {
        _store = store;
        _quayApi = quayApi;
        _faults = faults;
        _time = time;
        _settings = settings;
        _logger = logger ?? NullLogger.Instance;
        _profile = OperatorProfile.Parse(settings.Profile).WithQuayVersion(settings.QuayVersion);
    }

    /// <summary>Starts watching the store and reconciles the registries already in it.</summary>
    public void Start()
    {
        _subscription = _store.SubscribeStored(OnChange);
        _faults.Changed += EnqueueAll;
        foreach (var registry in _store.List("quayregistries", null))
        {
            _queue.Add(Key(registry.Namespace()!, registry.Name()!));
        }

        // Dedicated threads, not thread-pool tasks: reconciles are synchronous CPU work, and on a small machine
        // workers holding every pool thread starve the API server's requests and watch streams until the pool grows.
        for (var i = 0; i < Math.Max(2, Environment.ProcessorCount); i++)
        {
            _workers.Add(Task.Factory.StartNew(() => Work(_stopping.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _faults.Changed -= EnqueueAll;
        _subscription?.Dispose();
        await _stopping.CancelAsync();
        await Task.WhenAll(_workers).ContinueWith(_ => { }, TaskScheduler.Default);
        foreach (var rollout in _rollouts.Values)
        {
            rollout.Timer?.Dispose();
        }

        _stopping.Dispose();
        _queue.Dispose();
    }

    // ---- Events and scheduling ----

    /// <summary>
    /// Runs on the writer's thread after each commit, so it only decides whether to queue a key, from the stored
    /// version's indexed metadata (no copy of the object).
    /// </summary>
    private void OnChange(ObjectStore.StoredEvent change)
    {
        var ns = change.Object.Namespace;
        var name = change.Object.Name;
        if (ns is null)
        {
            return;
        }

        switch (change.Resource)
        {
            case "quayregistries":
                var key = Key(ns, name);
                var ours = change.Type != "DELETED" && !change.Object.Deleting
                    && _rollouts.TryGetValue(key, out var known)
                    && known.SeenGeneration == change.Object.Generation;
                if (!ours)
                {
                    _queue.Add(key);
                }

                break;
            case "secrets":
                // Enumerated, not .Values: that copies every rollout into an array, on every Secret write.
                foreach (var (rolloutKey, rollout) in _rollouts)
                {
                    if (rollout.Namespace == ns && rollout.BundleName == name)
                    {
                        _queue.Add(rolloutKey);
                    }
                }

                break;
        }
    }

    private void EnqueueAll()
    {
        foreach (var key in _rollouts.Keys)
        {
            _queue.Add(key);
        }
    }

    private void Schedule(RegistryRollout rollout, TimeSpan due)
    {
        var at = due < TimeSpan.Zero ? TimeSpan.Zero : due;
        if (rollout.Timer is null)
        {
            rollout.Timer = _time.CreateTimer(_ => _queue.Add(rollout.Key), null, at, Timeout.InfiniteTimeSpan);
        }
        else
        {
            rollout.Timer.Change(at, Timeout.InfiniteTimeSpan);
        }
    }

    private void Work(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            string key;
            try
            {
                key = _queue.Take(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            try
            {
                Reconcile(key);
            }
            catch (KubernetesStatusException ex) when (ex.Code == 409)
            {
                // Someone wrote in between (a stale resourceVersion): go again with fresh state.
                _queue.Add(key);
            }
            catch (Exception ex)
            {
                _logger.LogWarning(ex, "Reconcile of QuayRegistry {Registry} failed; retrying", key);
                if (_rollouts.TryGetValue(key, out var rollout))
                {
                    Schedule(rollout, _settings.PhaseDelay);
                }
            }
            finally
            {
                _queue.Done(key);
            }
        }
    }

    // ---- Reconcile ----

    private void Reconcile(string key)
    {
        var (ns, name) = Split(key);
        var registry = _store.Get("quayregistries", ns, name);
        if (registry is null)
        {
            Forget(key);
            return;
        }

        var rollout = _rollouts.GetOrAdd(key, _ => new RegistryRollout(ns, name));
        if (registry.IsDeleting())
        {
            FinishDeletion(registry, rollout);
            return;
        }

        if (WriteBack(registry) is { } updated)
        {
            registry = updated;
        }

        rollout.SeenGeneration = registry["metadata"]?["generation"].Long() ?? 0;
        var spec = RegistrySpec.From(registry);
        var bundleName = spec.ConfigBundleSecret ?? "";
        rollout.BundleName = bundleName;
        var bundleSecret = _store.Get("secrets", ns, bundleName);
        var bundle = bundleSecret is null ? null : Bundle(rollout, bundleSecret);
        if (RolloutCheck.Find(spec, bundle, bundleName, _profile) is { } blocker)
        {
            rollout.RolloutId = null;
            rollout.Timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            WriteStatus(registry, StatusBuilder.Blocked(blocker, registry["status"] as JsonObject, _time.GetUtcNow()));
            return;
        }

        Roll(registry, rollout, spec, bundle!, bundleSecret!);
    }

    /// <summary>The parsed bundle; parsed again only when the Secret changed, not on every reconcile.</summary>
    private static ConfigBundle Bundle(RegistryRollout rollout, JsonObject secret)
    {
        var version = $"{secret.Uid()}/{secret.ResourceVersion()}";
        if (rollout.ParsedBundle is not { } cached || cached.Version != version)
        {
            cached = (version, ConfigBundle.From(secret));
            rollout.ParsedBundle = cached;
        }

        return cached.Bundle;
    }

    /// <summary>
    /// What the operator writes back into spec: every missing component kind (managed), a generated config
    /// bundle when none is named, and its finalizer. Returns the updated object, or null when nothing changed.
    /// </summary>
    private JsonObject? WriteBack(JsonObject registry)
    {
        // After the first reconcile there is nothing to write back: check that before copying the whole object.
        if (registry.Finalizers().Contains(Finalizer) && registry["spec"] is JsonObject current
            && !string.IsNullOrEmpty(current["configBundleSecret"].Str())
            && current["components"] is JsonArray listed && _profile.Kinds.All(k => listed.Any(c => c?["kind"].Str() == k)))
        {
            return null;
        }

        var desired = (JsonObject)registry.DeepClone();
        var metadata = desired["metadata"]!.AsObject();
        if (!registry.Finalizers().Contains(Finalizer))
        {
            if (metadata["finalizers"] is not JsonArray finalizers)
            {
                finalizers = [];
                metadata["finalizers"] = finalizers;
            }

            finalizers.Add(Finalizer);
        }

        if (desired["spec"] is not JsonObject spec)
        {
            spec = [];
            desired["spec"] = spec;
        }

        spec["components"] = RegistrySpec.WithDefaults(spec["components"] as JsonArray, _profile);
        if (string.IsNullOrEmpty(spec["configBundleSecret"].Str()))
        {
            spec["configBundleSecret"] = CreateBaseBundle(registry);
        }

        return JsonNode.DeepEquals(desired, registry)
            ? null
            : _store.Update("quayregistries", registry.Namespace(), desired, FieldManager);
    }

    /// <summary>The operator's base config bundle, created with generateName when the spec names none.</summary>
    private string CreateBaseBundle(JsonObject registry)
    {
        var objects = Objects(registry);
        var metadata = objects.Metadata("");
        metadata.Remove("name");
        metadata.Remove("labels");
        metadata["generateName"] = objects.Prefix + "config-bundle-";
        const string baseConfig = """
            ALLOW_PULLS_WITHOUT_STRICT_LOGGING: false
            AUTHENTICATION_TYPE: Database
            DEFAULT_TAG_EXPIRATION: 2w
            FEATURE_BUILD_SUPPORT: false
            FEATURE_DIRECT_LOGIN: true
            FEATURE_MAILING: false
            REGISTRY_TITLE: Red Hat Quay
            REGISTRY_TITLE_SHORT: Red Hat Quay
            SETUP_COMPLETE: true
            TAG_EXPIRATION_OPTIONS:
            - 2w
            TEAM_RESYNC_STALE_TIME: 60m
            TESTING: false

            """;
        var created = _store.Create("secrets", registry.Namespace(), new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Secret",
            ["metadata"] = metadata,
            ["type"] = "Opaque",
            ["data"] = new JsonObject { ["config.yaml"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(baseConfig)) },
        }, FieldManager);
        return created.Name()!;
    }

    /// <summary>Deletion: close the registry's Quay, then drop the finalizer so the store removes it (and GC its objects).</summary>
    private void FinishDeletion(JsonObject registry, RegistryRollout rollout)
    {
        _quayApi.Close(rollout.Key);
        if (registry.Finalizers().Contains(Finalizer))
        {
            var remaining = registry.Finalizers().Where(f => f != Finalizer).Select(f => (JsonNode)JsonValue.Create(f)!).ToArray();
            var updated = (JsonObject)registry.DeepClone();
            updated["metadata"]!["finalizers"] = new JsonArray(remaining);
            _store.UpdateStored("quayregistries", registry.Namespace(), updated, FieldManager);
        }

        Forget(rollout.Key);
    }

    private void Forget(string key)
    {
        _quayApi.Close(key);
        if (_rollouts.TryRemove(key, out var rollout))
        {
            rollout.Timer?.Dispose();
        }
    }

    /// <summary>Brings the registry's objects and status to where the current phase of its rollout puts them.</summary>
    private void Roll(JsonObject registry, RegistryRollout rollout, RegistrySpec spec, ConfigBundle bundle, JsonObject bundleSecret)
    {
        var generation = registry["metadata"]?["generation"].Long() ?? 0;
        var rolloutId = $"{generation}/{bundle.ContentHash}";
        AdoptRolledOut(registry, rollout, rolloutId, generation, bundle);
        if (rollout.RolloutId != rolloutId)
        {
            rollout.RolloutId = rolloutId;
            rollout.StartedAt = _time.GetTimestamp();
            rollout.Phase = -1;
            rollout.MigrationAttempt++;
            rollout.MigrationsFailed = false;
            rollout.Migration = null;
        }

        var failMigrations = _faults.MigrationsFail(rollout.Namespace, rollout.Name);
        if (rollout.MigrationsFailed && !failMigrations)
        {
            // The fault was cleared: run the migration job again from the migrating phase.
            rollout.MigrationsFailed = false;
            rollout.Migration = null;
            rollout.MigrationAttempt++;
            rollout.StartedAt = _time.GetTimestamp() - (long)(_settings.PhaseDelay.TotalSeconds * _time.TimestampFrequency);
            rollout.Phase = Phase.Created;
        }

        var phase = CurrentPhase(rollout);
        if (phase >= Phase.Migrated && rollout.Migration is null)
        {
            rollout.Migration = failMigrations ? JobOutcome.Failed : JobOutcome.Succeeded;
            rollout.MigrationsFailed = failMigrations;
        }

        var now = _time.GetUtcNow();
        var plan = new RolloutPlan(_profile, Objects(registry), rollout, spec, bundle, _faults, now);
        var desired = plan.Build(phase, bundleSecret, _time.GetElapsedTime(rollout.LastRestartTick) >= _settings.PhaseDelay);
        if (plan.RestartsTicked)
        {
            rollout.LastRestartTick = _time.GetTimestamp();
        }

        Sync(rollout, desired);

        var endpoint = "https://" + (bundle.Text("SERVER_HOSTNAME") ?? RouteHost(rollout));
        // A registry labelled sandbox.quaygateway.dev/quay-version plays that Quay release (tests compare versions side by side).
        var profile = registry["metadata"]?["labels"]?[QuayVersions.Label]?.GetValue<string>() is { } labelled
            ? _profile.WithQuayVersion(labelled)
            : _profile;
        var view = new RolloutView(profile, rollout.Name, generation, phase, plan.Migrations, plan.Health, spec, endpoint,
            _profile.IsLegacy ? $"https://{rollout.Name}-quay-config-editor-{rollout.Namespace}.{_settings.AppsDomain}" : null,
            plan.ConfigEditorSecret);
        var status = StatusBuilder.Build(view, registry["status"] as JsonObject, now);

        // Quay answers before the status says Available, so a client that sees Available can call it at once.
        if (IsAvailable(status))
        {
            var hosts = new List<string> { RouteHost(rollout) };
            if (bundle.Text("SERVER_HOSTNAME") is { } serverHostname)
            {
                hosts.Add(serverHostname);
            }

            _quayApi.Open(rollout.Key, hosts, QuayConfig.From(bundle.Config), profile.QuayVersion);
        }

        WriteStatus(registry, status);

        ScheduleNext(rollout, phase, plan.AnyCrashLooping);
    }

    /// <summary>
    /// The phase the rollout has reached: one per elapsed <c>PhaseDelay</c>, but never more than one step per
    /// reconcile, so every phase is written (and watchable) even when the operator runs behind.
    /// </summary>
    private int CurrentPhase(RegistryRollout rollout)
    {
        if (rollout.MigrationsFailed)
        {
            return Phase.Migrated;
        }

        var elapsed = _time.GetElapsedTime(rollout.StartedAt);
        var due = _settings.PhaseDelay <= TimeSpan.Zero
            ? Phase.Healthy
            : (int)Math.Min(Phase.Healthy, elapsed.Ticks / _settings.PhaseDelay.Ticks);
        rollout.Phase = Math.Min(due, rollout.Phase + 1);
        return rollout.Phase;
    }

    private void ScheduleNext(RegistryRollout rollout, int phase, bool crashLooping)
    {
        TimeSpan? next = null;
        if (phase < Phase.Healthy && !rollout.MigrationsFailed)
        {
            next = (_settings.PhaseDelay * (phase + 1)) - _time.GetElapsedTime(rollout.StartedAt);
        }

        if (crashLooping && (next is null || next > _settings.PhaseDelay))
        {
            next = _settings.PhaseDelay;
        }

        if (next is { } due)
        {
            Schedule(rollout, due);
        }
    }

    /// <summary>Writes the desired objects that changed since last time and deletes the ones no longer wanted.</summary>
    private void Sync(RegistryRollout rollout, IReadOnlyList<DesiredObject> desired)
    {
        var wanted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var want in desired)
        {
            var key = $"{want.Resource}/{want.Name}";
            wanted.Add(key);
            var known = rollout.Written.TryGetValue(key, out var before);
            if (known && before == (want.SpecKey, want.StatusKey))
            {
                continue;
            }

            var obj = want.Build();
            var hasStatus = obj["status"] is not null;
            if (!known)
            {
                try
                {
                    // Owned: a create changes obj only in ways the takeover below tolerates before it fails with 409.
                    _store.CreateStored(want.Resource, rollout.Namespace, obj, FieldManager, owned: true);
                }
                catch (KubernetesStatusException ex) when (ex.Code == 409)
                {
                    // Left over from an earlier run of the operator: take it over.
                    _store.UpdateStored(want.Resource, rollout.Namespace, obj, FieldManager);
                    if (hasStatus)
                    {
                        _store.UpdateStatusStored(want.Resource, rollout.Namespace, obj, FieldManager, owned: true);
                    }
                }
            }
            else
            {
                if (before.Spec != want.SpecKey)
                {
                    _store.UpdateStored(want.Resource, rollout.Namespace, obj, FieldManager);
                }

                if (hasStatus && before.Status != want.StatusKey)
                {
                    _store.UpdateStatusStored(want.Resource, rollout.Namespace, obj, FieldManager, owned: true);
                }
            }

            rollout.Written[key] = (want.SpecKey, want.StatusKey);
        }

        foreach (var stale in rollout.Written.Keys.Where(k => !wanted.Contains(k)).ToList())
        {
            var slash = stale.IndexOf('/', StringComparison.Ordinal);
            try
            {
                _store.Delete(stale[..slash], rollout.Namespace, stale[(slash + 1)..]);
            }
            catch (KubernetesStatusException ex) when (ex.Code == 404)
            {
                // Already gone (deleted by hand or collected).
            }

            rollout.Written.Remove(stale);
        }
    }

    /// <summary>
    /// Writes status when anything but <c>lastUpdated</c> changed, and emits the operator's Events for
    /// RolloutBlocked and Available transitions.
    /// </summary>
    private void WriteStatus(JsonObject registry, JsonObject status)
    {
        var previous = registry["status"] as JsonObject;
        if (previous is not null && JsonNode.DeepEquals(previous, status))
        {
            return;
        }

        var now = _time.GetUtcNow();
        status["lastUpdated"] = GoTime.String(now);

        // Like the real controller, the Event is recorded before the status write that carries the change: every
        // RolloutBlocked change, and Available when it turns True or falls back from True (not while rolling out).
        foreach (var type in new[] { "RolloutBlocked", "Available" })
        {
            var after = Condition(status, type);
            var before = Condition(previous, type);
            var changed = after is not null && (before is null || before["status"].Str() != after["status"].Str()
                || before["reason"].Str() != after["reason"].Str() || before["message"].Str() != after["message"].Str());
            var worthTelling = type == "RolloutBlocked" || after?["status"].Str() == "True" || before?["status"].Str() == "True";
            if (!changed || !worthTelling)
            {
                continue;
            }

            var warning = type == "RolloutBlocked" ? after!["status"].Str() == "True" : after!["status"].Str() != "True";
            EmitEvent(registry, after["reason"].Str() ?? "", after["message"].Str() ?? "", warning, now);
        }

        _store.UpdateStatusStored("quayregistries", registry.Namespace(), new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = registry.Name(), ["namespace"] = registry.Namespace() },
            ["status"] = status,
        }, FieldManager, owned: true);
    }

    private void EmitEvent(JsonObject registry, string reason, string message, bool warning, DateTimeOffset now)
    {
        try
        {
            _store.CreateStored("events", registry.Namespace(), Objects(registry).Event(registry, reason, message, warning, now), FieldManager, owned: true);
        }
        catch (KubernetesStatusException ex)
        {
            // Events are best effort, as in a real cluster (e.g. a namespace being terminated).
            _logger.LogDebug(ex, "Could not record event {Reason} for {Registry}", reason, registry.Name());
        }
    }

    private static JsonObject? Condition(JsonObject? status, string type) =>
        (status?["conditions"] as JsonArray)?.OfType<JsonObject>().FirstOrDefault(c => c["type"].Str() == type);

    private static bool IsAvailable(JsonObject status) => Condition(status, "Available")?["status"].Str() == "True";

    private string RouteHost(RegistryRollout rollout) => $"{rollout.Name}-quay-{rollout.Namespace}.{_settings.AppsDomain}";

    private static KubeObjects Objects(JsonObject registry) => new(registry.Namespace()!, registry.Name()!, registry.Uid() ?? "");

    private static string Key(string ns, string name) => $"{ns}/{name}";

    private static (string Namespace, string Name) Split(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        return (key[..slash], key[(slash + 1)..]);
    }

    /// <summary>Five random characters from the alphabet the apiserver uses for generated names.</summary>
    internal static string RandomSuffix() => RandomNumberGenerator.GetString(SuffixAlphabet, 5);
}
