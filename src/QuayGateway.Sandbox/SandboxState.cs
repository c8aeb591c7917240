using System.Text.Json;
using QuayGateway.Sandbox.Kubernetes;
using QuayGateway.Sandbox.Operator;
using QuayGateway.Sandbox.QuayApi;
using QuayGateway.Sandbox.QuayTls;

namespace QuayGateway.Sandbox;

/// <summary>
/// A sandbox's state folder (<see cref="SandboxOptions.StateDirectory"/>): the object store with its watch history,
/// each Quay's database and the clock offset in <c>state.json</c>, the CA in <c>ca.crt</c> and <c>ca.key</c>. Loaded at start; written
/// whenever something changed, at most <see cref="FlushInterval"/> after the change, and once more at stop. Every
/// write is a temp file renamed over the old one, so a crash (kill -9) leaves the last complete flush: it loses at
/// most the last second. One sandbox at a time holds the folder (an exclusive lock on <c>lock</c>).
/// </summary>
internal sealed class SandboxState : IAsyncDisposable
{
    public const string StateFileName = "state.json";
    public const string LockFileName = "lock";

    /// <summary>The process id of the sandbox holding <see cref="LockFileName"/> (the lock itself cannot be read while held).</summary>
    public const string OwnerFileName = "owner";
    private const int Format = 1;

    /// <summary>How often changes are looked for and written: under a second, so a crash loses at most the last one.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromMilliseconds(500);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _directory;
    private readonly FileStream _lock;
    private readonly Lock _flushGate = new();
    private ObjectStore? _store;
    private QuaySimulation? _quay;
    private CancellationTokenSource? _stop;
    private Task _loop = Task.CompletedTask;
    private long _writtenRevision = -1;
    private byte[] _writtenQuay = [];
    private long _writtenClock = -1;

    private SandboxState(string directory, FileStream lockFile)
    {
        _directory = directory;
        _lock = lockFile;
    }

    public string Directory => _directory;

    /// <summary>The last writes (time from snapshot to rename, and bytes), at most 1,000: what the state benchmark reads.</summary>
    public System.Collections.Concurrent.ConcurrentQueue<(TimeSpan Took, int Bytes)> Writes { get; } = new();

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
        if (!File.Exists(path)) return false;
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
        if (quay is not null)
        {
            quay.Clock.Restore(TimeSpan.FromTicks(root.GetProperty("clockOffsetTicks").GetInt64()));
            var databases = root.GetProperty("quay").Deserialize<Dictionary<string, QuayDatabaseState>>(Json) ?? [];
            quay.Api.RestoreDatabases(databases);
        }

        return true;
    }

    /// <summary>Starts writing changes of <paramref name="store"/> and <paramref name="quay"/> in the background.</summary>
    public void Start(ObjectStore store, QuaySimulation? quay)
    {
        _store = store;
        _quay = quay;
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
                        // A full disk or a moved folder: tried again at the next tick, and at stop.
                    }
                }
            }
            catch (OperationCanceledException)
            {
                // Stopped: the final flush follows in DisposeAsync.
            }
        }, CancellationToken.None);
    }

    /// <summary>Writes the state if anything changed since the last write.</summary>
    public void Flush()
    {
        if (_store is null) return;
        lock (_flushGate)
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var snapshot = _store.Snapshot();
            var revision = snapshot.Revision;
            var quay = _quay is null ? [] : JsonSerializer.SerializeToUtf8Bytes(_quay.Api.SaveDatabases(), Json);
            var clock = _quay?.Clock.Offset.Ticks ?? 0;
            if (revision == _writtenRevision && clock == _writtenClock && quay.AsSpan().SequenceEqual(_writtenQuay)) return;

            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                writer.WriteStartObject();
                writer.WriteNumber("format", Format);
                writer.WriteNumber("revision", revision);
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
                if (quay.Length > 0) writer.WriteRawValue(quay, skipInputValidation: true);
                else writer.WriteStartObject();
                if (quay.Length == 0) writer.WriteEndObject();
                writer.WriteEndObject();
            }

            StateFile.WriteAtomically(Path.Combine(_directory, StateFileName), buffer.GetBuffer().AsSpan(0, (int)buffer.Length), ownerOnly: true);
            (_writtenRevision, _writtenClock, _writtenQuay) = (revision, clock, quay);
            Writes.Enqueue((System.Diagnostics.Stopwatch.GetElapsedTime(started), (int)buffer.Length));
            while (Writes.Count > 1000) Writes.TryDequeue(out _);
        }
    }

    /// <summary>Stops the background writes, writes once more, and releases the folder.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stop is not null)
        {
            await _stop.CancelAsync();
            await _loop;
            _stop.Dispose();
        }

        Flush();
        await _lock.DisposeAsync();
    }
}
