using System.Text.Json;
using QuayGateway.Sandbox.Kubernetes;
using QuayGateway.Sandbox.Operator;
using QuayGateway.Sandbox.QuayApi;
using QuayGateway.Sandbox.QuayTls;

namespace QuayGateway.Sandbox;

/// <summary>
/// A sandbox's state folder (<see cref="SandboxOptions.StateDirectory"/>): the object store with its watch history,
/// each Quay's database and the clock offset, the CA in <c>ca.crt</c> and <c>ca.key</c>. The state is a full snapshot
/// (<c>state.json</c>, generation N) plus the journal of the changes since (<c>journal-N.jsonl</c>, then N+1...): every
/// <see cref="FlushInterval"/> the changes only (the store's events with their resourceVersions, changed Quay
/// databases, the clock) are appended and flushed to disk, so a crash (kill -9) loses at most that interval, however
/// big the state. A snapshot is written at start and then rarely (<see cref="SnapshotInterval"/>,
/// <see cref="SnapshotAfterBytes"/>), in the background, by temp file and rename; the journals before it are then
/// deleted. Load replays the journals after the snapshot and ignores a torn last line. One sandbox at a time holds the
/// folder (an exclusive lock on <c>lock</c>).
/// </summary>
internal sealed class SandboxState : IAsyncDisposable
{
    public const string StateFileName = "state.json";
    public const string LockFileName = "lock";

    /// <summary>The process id of the sandbox holding <see cref="LockFileName"/> (the lock itself cannot be read while held).</summary>
    public const string OwnerFileName = "owner";
    private const int Format = 1;

    /// <summary>The journals: <c>journal-N.jsonl</c> holds the changes after snapshot N was taken, one JSON object a line.</summary>
    public const string JournalPrefix = "journal-", JournalSuffix = ".jsonl";

    /// <summary>How often changes are looked for and appended to the journal: well under a second, so a crash loses at most the last one.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>How often at most a full snapshot replaces the journal while changes keep coming (it is written in the background).</summary>
    public static readonly TimeSpan SnapshotInterval = TimeSpan.FromSeconds(60);

    /// <summary>A journal this long is compacted into a snapshot sooner, so a restart replays little.</summary>
    public const long SnapshotAfterBytes = 16 * 1024 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _directory;
    private readonly FileStream _lock;
    private readonly Lock _flushGate = new();
    private ObjectStore? _store;
    private QuaySimulation? _quay;
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;
    private readonly Dictionary<string, byte[]> _journaledQuay = new(StringComparer.Ordinal);
    private long _journaledRevision;
    private long _journaledClock;
    private long _generation;
    private FileStream? _journal;
    private long _journalBytes;
    private bool _snapshotDue;
    private long _lastSnapshot;
    private Task _snapshotWrite = Task.CompletedTask;

    private SandboxState(string directory, FileStream lockFile)
    {
        _directory = directory;
        _lock = lockFile;
    }

    public string Directory => _directory;

    /// <summary>The last journal appends (time from collecting the changes to the flush to disk, and bytes), at most 1,000: what the state benchmark reads.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(TimeSpan Took, int Bytes)> Writes { get; } = new();

    /// <summary>The last full snapshots (time from serializing to rename, and bytes), at most 1,000.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(TimeSpan Took, int Bytes)> Snapshots { get; } = new();

    /// <summary>Takes the folder (creating it, owner-only), or says clearly that another sandbox holds it.</summary>
    public static SandboxState Open(string directory)
    {
        directory = Path.GetFullPath(directory);
        if (OperatingSystem.IsWindows()) System.IO.Directory.CreateDirectory(directory);
        else System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var lockPath = Path.Combine(directory, LockFileName);
        try
        {
            var lockFile = new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            StateFile.WriteAtomically(Path.Combine(directory, OwnerFileName), $"{Environment.ProcessId}\n", ownerOnly: false);
            return new SandboxState(directory, lockFile);
        }
        catch (IOException e)
        {
            var holder = "";
            try { holder = File.ReadAllText(Path.Combine(directory, OwnerFileName)).Trim(); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw new InvalidOperationException(
                $"The sandbox state folder {directory} is in use by another sandbox (process {(holder.Length > 0 ? holder : "unknown")}). " +
                "Two sandboxes never share one: stop the other, or give this one its own --state-dir (Gateway:Sandbox:StateDir).", e);
        }
    }

    /// <summary>The file names of the kept CA: the certificate and its (unencrypted, 0600) key.</summary>
    public const string CaCertificateFile = "ca.crt", CaKeyFile = "ca.key";

    /// <summary>
    /// The CA kept in the folder, or a new one written there (each file by temp file and rename), so clients that
    /// trusted it before a restart still do. Without a folder, a new CA.
    /// </summary>
    public static SandboxCertificateAuthority LoadOrCreateCa(string clusterName, SandboxState? state)
    {
        if (state is null) return SandboxCertificateAuthority.Create(clusterName);
        var certificatePath = Path.Combine(state._directory, CaCertificateFile);
        var keyPath = Path.Combine(state._directory, CaKeyFile);
        if (File.Exists(certificatePath) && File.Exists(keyPath))
        {
            return SandboxCertificateAuthority.FromPem(File.ReadAllText(certificatePath), File.ReadAllText(keyPath));
        }

        var created = SandboxCertificateAuthority.Create(clusterName);
        StateFile.WriteAtomically(keyPath, created.PrivateKeyPem(), ownerOnly: true);
        StateFile.WriteAtomically(certificatePath, created.CertificatePem, ownerOnly: false);
        return created;
    }

    /// <summary>Loads what the folder holds into the store, Quay and clock, before anything runs; false when it held nothing.</summary>
    public bool Load(ObjectStore store, QuaySimulation? quay)
    {
        var path = Path.Combine(_directory, StateFileName);
        if (!File.Exists(path)) return false; // no journal either: the first snapshot is written before any

        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        if (root.GetProperty("format").GetInt32() != Format)
            throw new InvalidOperationException($"{path} has state format {root.GetProperty("format")}, this sandbox reads {Format}; move the folder away to start afresh.");
        var objects = root.GetProperty("objects").EnumerateArray()
            .Select(o => (o.GetProperty("resource").GetString()!, System.Text.Encoding.UTF8.GetBytes(o.GetProperty("object").GetRawText())))
            .ToList();
        // The watch history and the versions only it holds; absent in a state written before they were kept.
        var versions = root.TryGetProperty("versions", out var v)
            ? v.EnumerateArray().Select(o => System.Text.Encoding.UTF8.GetBytes(o.GetRawText())).ToList()
            : [];
        var history = root.TryGetProperty("history", out var h)
            ? h.EnumerateArray().Select(e => new ObjectStore.HistoryEntry(e.GetProperty("revision").GetInt64(), e.GetProperty("type").GetString()!,
                e.GetProperty("resource").GetString()!, e.GetProperty("object").GetInt32(),
                e.TryGetProperty("previous", out var p) && p.ValueKind == JsonValueKind.Number ? p.GetInt32() : null)).ToList()
            : [];
        store.Restore(new ObjectStore.StoreSnapshot(root.GetProperty("revision").GetInt64(), objects, versions, history));
        // A state written before the journal has no generation, and no journal follows it.
        _generation = root.TryGetProperty("generation", out var g) ? g.GetInt64() : 0;
        var clock = root.GetProperty("clockOffsetTicks").GetInt64();
        var databases = root.GetProperty("quay").Deserialize<Dictionary<string, QuayDatabaseState?>>(Json) ?? [];
        clock = ReplayJournals(store, databases, clock);
        if (quay is not null)
        {
            quay.Clock.Restore(TimeSpan.FromTicks(clock));
            quay.Api.RestoreDatabases(databases.Where(d => d.Value is not null).ToDictionary(d => d.Key, d => d.Value!, StringComparer.Ordinal));
        }

        return true;
    }

    /// <summary>
    /// Replays the journals from the snapshot's generation on, in order, onto the restored store, the Quay databases
    /// and the clock; returns the clock. The first line that does not parse (the torn end of an append a crash
    /// interrupted) ends the replay: nothing after it was complete.
    /// </summary>
    private long ReplayJournals(ObjectStore store, Dictionary<string, QuayDatabaseState?> databases, long clock)
    {
        var events = new List<(long, string, string, byte[])>();
        for (var generation = _generation; File.Exists(JournalPath(generation)); generation++)
        {
            _generation = generation;
            foreach (var line in File.ReadLines(JournalPath(generation)))
            {
                JsonDocument entry;
                try
                {
                    entry = JsonDocument.Parse(line);
                }
                catch (JsonException)
                {
                    store.Replay(events);
                    return clock;
                }

                using (entry)
                {
                    var e = entry.RootElement;
                    if (e.TryGetProperty("revision", out var revision))
                    {
                        events.Add((revision.GetInt64(), e.GetProperty("type").GetString()!, e.GetProperty("resource").GetString()!,
                            System.Text.Encoding.UTF8.GetBytes(e.GetProperty("object").GetRawText())));
                        continue;
                    }

                    clock = e.GetProperty("clockOffsetTicks").GetInt64();
                    foreach (var database in e.GetProperty("quay").EnumerateObject())
                    {
                        databases[database.Name] = database.Value.Deserialize<QuayDatabaseState?>(Json);
                    }
                }
            }
        }

        store.Replay(events);
        return clock;
    }

    /// <summary>
    /// Starts journaling changes of <paramref name="store"/> and <paramref name="quay"/> in the background, after a
    /// full snapshot of what was loaded (so a restart replays each journal once, and the folder starts compact).
    /// </summary>
    public void Start(ObjectStore store, QuaySimulation? quay)
    {
        _store = store;
        _quay = quay;
        _journaledRevision = store.CurrentResourceVersion;
        _journaledClock = quay?.Clock.Offset.Ticks ?? 0;
        if (quay is not null)
        {
            foreach (var (key, database) in quay.Api.SaveDatabases()) _journaledQuay[key] = JsonSerializer.SerializeToUtf8Bytes(database, Json);
        }

        WriteSnapshot(CaptureSnapshot());
        _stop = new CancellationTokenSource();
        var token = _stop.Token;
        _loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(FlushInterval);
            try
            {
                while (await timer.WaitForNextTickAsync(token))
                {
                    try
                    {
                        Flush();
                    }
                    catch (IOException)
                    {
                        // A full disk or a moved folder: the next tick starts a new journal after a full snapshot.
                        _snapshotDue = true;
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped: the last changes are journaled in DisposeAsync.
            }
        }, CancellationToken.None);
    }

    /// <summary>
    /// Appends what changed since the last append to the journal and flushes it to disk; when the journal is due
    /// for compaction (<see cref="SnapshotInterval"/>, <see cref="SnapshotAfterBytes"/>), starts a full snapshot in
    /// the background, unless one is still being written.
    /// </summary>
    public void Flush()
    {
        if (_store is null) return;
        (long Generation, ObjectStore.StoreSnapshot Store, byte[] Quay, long Clock)? snapshot = null;
        lock (_flushGate)
        {
            var complete = AppendChanges(long.MaxValue);
            var due = _snapshotDue || !complete || _journalBytes > SnapshotAfterBytes
                || (_journalBytes > 0 && System.Diagnostics.Stopwatch.GetElapsedTime(_lastSnapshot) > SnapshotInterval);
            if (!complete)
            {
                // Some events were never journaled: the snapshot is written before anything is appended after it.
                _snapshotWrite.Wait();
                WriteSnapshot(CaptureSnapshot());
            }
            else if (due && _snapshotWrite.IsCompleted)
            {
                snapshot = CaptureSnapshot();
            }
        }

        // The journal of the new generation is open: changes keep being appended while the snapshot is written.
        if (snapshot is { } taken) _snapshotWrite = Task.Run(() =>
        {
            try
            {
                WriteSnapshot(taken);
            }
            catch (IOException)
            {
                // The journals before it stay and still replay; tried again at the next tick.
                _snapshotDue = true;
            }
        });
    }

    /// <summary>Has the next tick start a full snapshot (the state benchmark times one while changes keep being journaled).</summary>
    internal void RequestSnapshot() => _snapshotDue = true;

    /// <summary>Appends the store's events up to <paramref name="upTo"/> and the Quay and clock changes; false when the store's history no longer reached back.</summary>
    private bool AppendChanges(long upTo)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var events = _store!.EventsAfter(_journaledRevision, upTo);
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            foreach (var e in events ?? [])
            {
                writer.WriteStartObject();
                writer.WriteNumber("revision", e.Revision);
                writer.WriteString("type", e.Type);
                writer.WriteString("resource", e.Resource);
                writer.WritePropertyName("object");
                writer.WriteRawValue(e.Object.Json, skipInputValidation: true);
                writer.WriteEndObject();
                writer.Flush();
                buffer.WriteByte((byte)'\n');
                writer.Reset();
            }

            var quayChanges = QuayChanges();
            var clock = _quay?.Clock.Offset.Ticks ?? 0;
            if (quayChanges.Count > 0 || clock != _journaledClock)
            {
                writer.WriteStartObject();
                writer.WriteNumber("clockOffsetTicks", clock);
                writer.WriteStartObject("quay");
                foreach (var (key, json) in quayChanges)
                {
                    writer.WritePropertyName(key);
                    if (json is null) writer.WriteNullValue();
                    else writer.WriteRawValue(json, skipInputValidation: true);
                    if (json is null) _journaledQuay.Remove(key);
                    else _journaledQuay[key] = json;
                }

                writer.WriteEndObject();
                writer.WriteEndObject();
                writer.Flush();
                buffer.WriteByte((byte)'\n');
                _journaledClock = clock;
            }
        }

        if (events is null) _journaledRevision = Math.Min(upTo, _store.CurrentResourceVersion);
        else if (events.Count > 0) _journaledRevision = events[^1].Revision;
        if (buffer.Length == 0) return events is not null;
        _journal ??= OpenJournal(_generation);
        _journal.Write(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        _journal.Flush(flushToDisk: true);
        _journalBytes += buffer.Length;
        Writes.Enqueue((System.Diagnostics.Stopwatch.GetElapsedTime(started), (int)buffer.Length));
        while (Writes.Count > 1000) Writes.TryDequeue(out _);
        return events is not null;
    }

    /// <summary>Each Quay database whose content differs from the last one journaled (null: gone).</summary>
    private List<(string Key, byte[]? Json)> QuayChanges()
    {
        var changes = new List<(string, byte[]?)>();
        if (_quay is null) return changes;
        var databases = _quay.Api.SaveDatabases();
        foreach (var (key, database) in databases)
        {
            var json = JsonSerializer.SerializeToUtf8Bytes(database, Json);
            if (!_journaledQuay.TryGetValue(key, out var written) || !written.AsSpan().SequenceEqual(json)) changes.Add((key, json));
        }

        changes.AddRange(_journaledQuay.Keys.Where(k => !databases.ContainsKey(k)).Select(k => (k, (byte[]?)null)));
        return changes;
    }

    /// <summary>
    /// Under <see cref="_flushGate"/>: the full state as of now, with the journal brought up to exactly that point
    /// and the next generation's journal started, so snapshot N plus journals N, N+1... always replay to the latest state.
    /// </summary>
    private (long Generation, ObjectStore.StoreSnapshot Store, byte[] Quay, long Clock) CaptureSnapshot()
    {
        var store = _store!.Snapshot();
        AppendChanges(store.Revision);
        _journaledRevision = store.Revision;
        _journal?.Dispose();
        _journal = null;
        _generation++;
        File.Delete(JournalPath(_generation)); // left over from after a torn line, never replayed: this generation starts empty
        _journalBytes = 0;
        _snapshotDue = false;
        _lastSnapshot = System.Diagnostics.Stopwatch.GetTimestamp();
        using var quay = new MemoryStream();
        using (var writer = new Utf8JsonWriter(quay))
        {
            writer.WriteStartObject();
            foreach (var (key, json) in _journaledQuay.OrderBy(d => d.Key, StringComparer.Ordinal))
            {
                writer.WritePropertyName(key);
                writer.WriteRawValue(json, skipInputValidation: true);
            }

            writer.WriteEndObject();
        }

        return (_generation, store, quay.ToArray(), _journaledClock);
    }

    /// <summary>Writes a captured snapshot (temp file and rename), then deletes the journals it makes redundant.</summary>
    private void WriteSnapshot((long Generation, ObjectStore.StoreSnapshot Store, byte[] Quay, long Clock) taken)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var (generation, snapshot, quay, clock) = taken;
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("format", Format);
            writer.WriteNumber("generation", generation);
            writer.WriteNumber("revision", snapshot.Revision);
            writer.WriteNumber("clockOffsetTicks", clock);
            writer.WriteStartArray("objects");
            foreach (var (resource, json) in snapshot.Objects)
            {
                writer.WriteStartObject();
                writer.WriteString("resource", resource);
                writer.WritePropertyName("object");
                writer.WriteRawValue(json, skipInputValidation: true);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            // Earlier versions the watch history still needs; events name versions by index into objects, then these.
            writer.WriteStartArray("versions");
            foreach (var json in snapshot.Versions) writer.WriteRawValue(json, skipInputValidation: true);
            writer.WriteEndArray();
            writer.WriteStartArray("history");
            foreach (var e in snapshot.History)
            {
                writer.WriteStartObject();
                writer.WriteNumber("revision", e.Revision);
                writer.WriteString("type", e.Type);
                writer.WriteString("resource", e.Resource);
                writer.WriteNumber("object", e.Object);
                if (e.Previous is { } previous) writer.WriteNumber("previous", previous);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WritePropertyName("quay");
            writer.WriteRawValue(quay, skipInputValidation: true);
            writer.WriteEndObject();
        }

        StateFile.WriteAtomically(Path.Combine(_directory, StateFileName), buffer.GetBuffer().AsSpan(0, (int)buffer.Length), ownerOnly: true);
        foreach (var (older, path) in Journals()) if (older < generation) File.Delete(path);
        Snapshots.Enqueue((System.Diagnostics.Stopwatch.GetElapsedTime(started), (int)buffer.Length));
        while (Snapshots.Count > 1000) Snapshots.TryDequeue(out _);
    }

    private FileStream OpenJournal(long generation)
    {
        var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        return new FileStream(JournalPath(generation), options);
    }

    private string JournalPath(long generation) => Path.Combine(_directory, $"{JournalPrefix}{generation}{JournalSuffix}");

    /// <summary>The journal files in the folder, by generation.</summary>
    private List<(long Generation, string Path)> Journals() =>
        System.IO.Directory.EnumerateFiles(_directory, $"{JournalPrefix}*{JournalSuffix}")
            .Select(path => (Name: Path.GetFileName(path), Path: path))
            .Select(f => (Ok: long.TryParse(f.Name.AsSpan(JournalPrefix.Length, f.Name.Length - JournalPrefix.Length - JournalSuffix.Length),
                System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var g), Generation: g, f.Path))
            .Where(f => f.Ok)
            .Select(f => (f.Generation, f.Path))
            .OrderBy(f => f.Generation)
            .ToList();

    /// <summary>Stops the background writes, journals the last changes, waits for a snapshot being written, and releases the folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop is not null)
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }

        if (_store is not null)
        {
            lock (_flushGate) AppendChanges(long.MaxValue);
        }

        await _snapshotWrite;
        if (_journal is not null) await _journal.DisposeAsync();
        await _lock.DisposeAsync();
    }
}
