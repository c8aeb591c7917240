using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace QuayGateway.DevServices;

/// <summary>
/// Dev services: a private PostgreSQL started from the machine's own server binaries, on loopback and a free port.
/// The gateway uses a persistent one in Development (reused between runs); the tests use a throwaway one per run.
/// </summary>
public sealed class DevPostgres : IAsyncDisposable
{
    private const string Superuser = "gateway";
    private const string DefaultDatabase = "quay_gateway";
    private const string InstallHint =
        "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found. Install them with " +
        "'sudo apt-get install -y postgresql' (Debian/Ubuntu), or set ConnectionStrings:Gateway to an existing server.";

    private readonly string _binDir;
    private readonly string _dataDir;
    private readonly string? _runAsUser;
    private readonly bool _throwaway;

    private readonly string _database;

    private DevPostgres(string binDir, string dataDir, string? runAsUser, bool throwaway, int port, string password, string database)
    {
        _database = database;
        _binDir = binDir;
        _dataDir = dataDir;
        _runAsUser = runAsUser;
        _throwaway = throwaway;
        ConnectionString = new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = port, Username = Superuser, Password = password, Database = database,
        }.ConnectionString;
    }

    public string ConnectionString { get; }

    /// <summary>Starts (or reuses) the persistent development server under the user's local data folder.</summary>
    /// <param name="database">The database to use (created when missing): Development uses one per checkout.</param>
    /// <param name="ct">Cancels waiting for the server to start.</param>
    public static async Task<DevPostgres> StartPersistentAsync(string database = DefaultDatabase, CancellationToken ct = default)
    {
        // First: installing the server also creates the postgres OS user that root needs.
        var binDir = await EnsureBinDirAsync(ct);
        var runAs = NonRootUserOrNull();
        var home = runAs is null
            ? Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData)
            // As root the server runs as the postgres OS user, which cannot enter /root: use that user's own data folder.
            : Path.Combine(HomeOf(runAs), ".local", "share");
        return await StartAsync(binDir, Path.Combine(home, "quay-gateway", "postgres"), runAs, throwaway: false, database, ct);
    }

    /// <summary>Starts a fresh server in a temporary folder; it is stopped and deleted on dispose.</summary>
    public static async Task<DevPostgres> StartThrowawayAsync(CancellationToken ct = default)
    {
        var binDir = await EnsureBinDirAsync(ct);
        var dir = Path.Combine(Path.GetTempPath(), "quay-gateway-pg-" + Guid.NewGuid().ToString("N")[..12]);
        return await StartAsync(binDir, dir, NonRootUserOrNull(), throwaway: true, DefaultDatabase, ct);
    }

    /// <summary>The server binaries' folder; as root on Debian/Ubuntu they are installed first when missing.</summary>
    private static async Task<string> EnsureBinDirAsync(CancellationToken ct)
    {
        var binDir = FindBinDir(PgConfigBinDir(), "/usr/lib/postgresql");
        if (binDir is null)
        {
            var decision = DecideInstall(Environment.UserName == "root", OsRelease());
            if (!decision.Install)
            {
                throw new InvalidOperationException(decision.Message);
            }

            // Printed: this runs before logging is configured.
            Console.WriteLine(decision.Message);
            await RunAsync("apt-get", ["update"], null, ct);
            await RunAsync("apt-get", ["install", "-y", "postgresql"], null, ct);
            binDir = FindBinDir(PgConfigBinDir(), "/usr/lib/postgresql") ?? throw new InvalidOperationException(
                "'apt-get install -y postgresql' ran but no server binaries were found. " + InstallHint);
        }

        return binDir;
    }

    private static async Task<DevPostgres> StartAsync(string binDir, string dataDir, string? runAs, bool throwaway, string database, CancellationToken ct)
    {
        Directory.CreateDirectory(dataDir);
        if (runAs is not null)
        {
            await RunAsync("chown", ["-R", runAs, dataDir], null, ct);
        }

        var passwordFile = Path.Combine(dataDir, "gateway.password");
        var pgData = Path.Combine(dataDir, "data");
        if (!File.Exists(Path.Combine(pgData, "PG_VERSION")))
        {
            var password = Convert.ToHexString(RandomNumberGenerator.GetBytes(16)).ToLowerInvariant();
            await File.WriteAllTextAsync(passwordFile, password, ct);
            if (runAs is not null)
            {
                await RunAsync("chown", [runAs, passwordFile], null, ct);
            }

            await RunAsync(Path.Combine(binDir, "initdb"),
                ["-D", pgData, "-U", Superuser, "--pwfile", passwordFile, "--auth-host=scram-sha-256",
                 "--auth-local=peer", "-E", "UTF8", "--locale=C"], runAs, ct);
        }

        var instance = new DevPostgres(binDir, dataDir, runAs, throwaway, await ReusablePortAsync(dataDir, ct),
            (await File.ReadAllTextAsync(passwordFile, ct)).Trim(), database);
        await instance.EnsureRunningAsync(ct);
        return instance;
    }

    private int Port => new NpgsqlConnectionStringBuilder(ConnectionString).Port;

    private async Task EnsureRunningAsync(CancellationToken ct)
    {
        if (!await CanConnectAsync("postgres", ct))
        {
            var pgData = Path.Combine(_dataDir, "data");
            var options = string.Join(' ',
                $"-p {Port.ToString(CultureInfo.InvariantCulture)}", "-c listen_addresses=127.0.0.1",
                $"-c unix_socket_directories={_dataDir}",
                // A throwaway test cluster trades durability for speed; the persistent one keeps the defaults.
                _throwaway ? "-c fsync=off -c synchronous_commit=off -c full_page_writes=off" : "",
                "-c max_connections=200");
            await RunAsync(Path.Combine(_binDir, "pg_ctl"),
                ["-D", pgData, "-l", Path.Combine(_dataDir, "server.log"), "-o", options, "-w", "-t", "60", "start"],
                _runAsUser, ct);
            await File.WriteAllTextAsync(Path.Combine(_dataDir, "port"), Port.ToString(CultureInfo.InvariantCulture), ct);
        }

        // Unpooled: a pooled connection would outlive a StopAsync and fail on the next ResumeAsync.
        await using var admin = new NpgsqlConnection(WithDatabase("postgres") + ";Pooling=false");
        await admin.OpenAsync(ct);
        await using var exists = new NpgsqlCommand($"SELECT 1 FROM pg_database WHERE datname = '{_database}'", admin);
        if (await exists.ExecuteScalarAsync(ct) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {_database}", admin);
            await create.ExecuteNonQueryAsync(ct);
        }
    }

    /// <summary>
    /// Stops the server cleanly (<c>pg_ctl stop -m fast</c>: clients are disconnected, committed data is kept), as a
    /// database restart or failover would look to the gateway. <see cref="ResumeAsync"/> starts it again.
    /// </summary>
    public async Task StopAsync(CancellationToken ct = default)
    {
        await RunAsync(Path.Combine(_binDir, "pg_ctl"), ["-D", Path.Combine(_dataDir, "data"), "-m", "fast", "-w", "stop"], _runAsUser, ct);
    }

    /// <summary>Starts a server stopped by <see cref="StopAsync"/> again, on the same port with the same data.</summary>
    public Task ResumeAsync(CancellationToken ct = default) => EnsureRunningAsync(ct);

    private async Task<bool> CanConnectAsync(string database, CancellationToken ct)
    {
        try
        {
            await using var connection = new NpgsqlConnection(WithDatabase(database) + ";Timeout=3;Pooling=false");
            await connection.OpenAsync(ct);
            return true;
        }
        catch (NpgsqlException)
        {
            return false;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private string WithDatabase(string database) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Database = database }.ConnectionString;

    /// <summary>The port the previous run used when it is still free (or ours), else a new free one.</summary>
    private static async Task<int> ReusablePortAsync(string dataDir, CancellationToken ct)
    {
        var portFile = Path.Combine(dataDir, "port");
        if (File.Exists(portFile) && int.TryParse(await File.ReadAllTextAsync(portFile, ct), out var previous)
            && (IsFree(previous) || File.Exists(Path.Combine(dataDir, "data", "postmaster.pid"))))
        {
            return previous;
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var probe = new TcpListener(IPAddress.Loopback, port);
            probe.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>The directory with initdb, pg_ctl and postgres: pg_config's answer first, then Debian's versioned layout.</summary>
    internal static string? FindBinDir(string? pgConfigBinDir, string debianRoot)
    {
        static bool HasServer(string dir) =>
            File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"))
            && File.Exists(Path.Combine(dir, "postgres"));

        if (pgConfigBinDir is not null && HasServer(pgConfigBinDir))
        {
            return pgConfigBinDir;
        }

        return Directory.Exists(debianRoot)
            ? Directory.GetDirectories(debianRoot)
                .OrderByDescending(d => int.TryParse(Path.GetFileName(d), out var v) ? v : 0)
                .Select(d => Path.Combine(d, "bin"))
                .FirstOrDefault(HasServer)
            : null;
    }

    internal static string MissingBinariesMessage => InstallHint;

    /// <summary>
    /// Whether dev services install the missing server themselves: only as root on Debian or Ubuntu (judged by
    /// <c>/etc/os-release</c>'s <c>ID</c> and <c>ID_LIKE</c>); otherwise the message names the command to run.
    /// </summary>
    internal static (bool Install, string Message) DecideInstall(bool isRoot, string? osRelease)
    {
        var ids = (osRelease ?? "").Split('\n')
            .Where(l => l.StartsWith("ID=", StringComparison.Ordinal) || l.StartsWith("ID_LIKE=", StringComparison.Ordinal))
            .SelectMany(l => l[(l.IndexOf('=', StringComparison.Ordinal) + 1)..].Trim('"', ' ', '\r').Split(' '))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        var debianLike = ids.Contains("debian") || ids.Contains("ubuntu");
        return (isRoot && debianLike)
            ? (true, "PostgreSQL server binaries were not found: installing them with 'apt-get install -y postgresql' (running as root on Debian/Ubuntu).")
            : (false, InstallHint);
    }

    private static string? OsRelease() => File.Exists("/etc/os-release") ? File.ReadAllText("/etc/os-release") : null;

    private static string? PgConfigBinDir()
    {
        try
        {
            return RunAsync("pg_config", ["--bindir"], null, CancellationToken.None).GetAwaiter().GetResult().Trim();
        }
        catch (Exception e) when (e is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return null; // pg_config is optional (it comes with libpq-dev or postgresql-common)
        }
    }

    private static string? NonRootUserOrNull()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
        {
            return null;
        }

        // initdb refuses to run as root; Debian's postgresql package creates this user.
        return File.ReadLines("/etc/passwd").Any(l => l.StartsWith("postgres:", StringComparison.Ordinal))
            ? "postgres"
            : throw new InvalidOperationException(
                "Running as root needs the 'postgres' OS user to run the dev database. " + InstallHint);
    }

    private static string HomeOf(string user) =>
        File.ReadLines("/etc/passwd").Select(l => l.Split(':'))
            .First(f => f[0] == user)[5];

    private static async Task<string> RunAsync(string file, string[] args, string? runAs, CancellationToken ct)
    {
        var start = new ProcessStartInfo(runAs is null ? file : "runuser")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        if (runAs is not null)
        {
            foreach (var a in new[] { "-u", runAs, "--", file })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{file} {string.Join(' ', args)}' failed with exit code {process.ExitCode}: {await stderr}");
        }

        return await stdout;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_throwaway)
        {
            return; // the persistent dev server keeps running so the next run reuses it
        }

        NpgsqlConnection.ClearAllPools();
        try
        {
            await RunAsync(Path.Combine(_binDir, "pg_ctl"),
                ["-D", Path.Combine(_dataDir, "data"), "-m", "immediate", "-w", "stop"], _runAsUser, CancellationToken.None);
        }
        finally
        {
            Directory.Delete(_dataDir, recursive: true);
        }
    }
}
