using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace QuayGateway.Tests.Infrastructure;

/// <summary>
/// The gateway as a separate OS process on loopback (Production settings). Shared by the tests and the benchmarks
/// (linked into both): a process is what restart and failover need, since Hangfire's storage is a static that two
/// hosts in one process would share, and it is what a benchmark measures RSS of.
/// </summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private const int TailLines = 200;
    private readonly Process _process;
    private readonly Queue<string> _tail = new();

    private GatewayProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    /// <summary>The gateway's own process id (<c>dotnet QuayGateway.dll</c> runs the app in the host process).</summary>
    public int Id => _process.Id;

    /// <summary>How the gateway names itself as a replica (<c>Gateway:Watch:ReplicaName</c>'s default).</summary>
    public string ReplicaName => $"{Environment.MachineName}:{_process.Id}";

    public bool HasExited => _process.HasExited;

    /// <summary>
    /// How long a start may take before it counts as failed: generous, because the machine is shared and a start under
    /// load (JIT, migrations) can take a minute; a healthy start is done in seconds and waits no longer.
    /// </summary>
    public static TimeSpan StartTimeout { get; } = TimeSpan.FromMinutes(3);

    /// <summary>The last lines the process wrote, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_tail)
            {
                return string.Join('\n', _tail);
            }
        }
    }

    /// <summary>Resident set size now and at its peak, in bytes.</summary>
    public (long Current, long Peak) Memory()
    {
        _process.Refresh();
        return (_process.WorkingSet64, _process.PeakWorkingSet64);
    }

    /// <summary>
    /// Give this setting to start without a default tenant policy, as production does unless configured: tenants
    /// without a policy of their own then cannot write.
    /// </summary>
    public const string WithoutTenantDefault = "--Gateway:Tenants:Default=";

    /// <summary>
    /// Starts the gateway and waits until <c>/readyz</c> answers. <paramref name="settings"/> are command-line
    /// configuration such as <c>--Gateway:Clusters:sandbox:sandbox=true</c>; they win over the defaults here. A tenant
    /// without a policy may use every cluster and namespace (<c>Gateway:Tenants:Default</c>), unless
    /// <see cref="WithoutTenantDefault"/> or another default is given.
    /// </summary>
    public static Task<GatewayProcess> StartAsync(string connectionString, string adminKey, params string[] settings) =>
        StartOnPortAsync(FreePort(), connectionString, adminKey, settings);

    /// <summary>As <see cref="StartAsync"/>, on a port chosen beforehand (an OIDC client's redirect URI names it).</summary>
    public static async Task<GatewayProcess> StartOnPortAsync(int port, string connectionString, string adminKey, params string[] settings)
    {
        var url = $"http://127.0.0.1:{port}";
        var dll = Path.Combine(AppContext.BaseDirectory, "QuayGateway.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     dll, "--urls", url, "--environment", "Production",
                     $"--ConnectionStrings:Gateway={connectionString};Maximum Pool Size=200",
                     "--Gateway:Database:MigrateOnStartup=true", $"--Gateway:Auth:BootstrapApiKey={adminKey}",
                     // Throwaway databases: an unencrypted key ring is accepted explicitly (a setting can say false).
                     "--Gateway:DataProtection:AllowUnprotectedKeys=true",
                     "--Logging:LogLevel:Default=Warning",
                     // Load from tests and benchmarks is far above a tenant's default limit; the rate limit's tests set theirs.
                     "--Gateway:RateLimit:Tenant:RequestsPerSecond=1000000", "--Gateway:RateLimit:Tenant:Burst=1000000",
                     "--Gateway:RateLimit:Anonymous:RequestsPerSecond=1000000", "--Gateway:RateLimit:Anonymous:Burst=1000000",
                 }.Concat(settings.Any(s => s.StartsWith("--Gateway:Tenants:Default", StringComparison.Ordinal))
                     ? []
                     : ["--Gateway:Tenants:Default:Clusters:0=*", "--Gateway:Tenants:Default:Namespaces:0=*"])
                 .Concat(settings))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        var gateway = new GatewayProcess(process, url);
        process.OutputDataReceived += (_, e) => gateway.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + StartTimeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if ((await http.GetAsync($"{url}/readyz")).IsSuccessStatusCode)
                {
                    return gateway;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // not listening yet
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"The gateway exited with code {process.ExitCode}:\n{gateway.Output}");
            }

            await Task.Delay(100);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"The gateway did not become ready within {StartTimeout.TotalSeconds:0} s:\n{gateway.Output}");
    }

    /// <summary>Kills the process at once, as a crash or an OOM kill would: no graceful shutdown, no cleanup.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_tail)
        {
            _tail.Enqueue(line);
            if (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }
        }
    }

    /// <summary>
    /// A port free now, chosen below the kernel's ephemeral range: a port the OS hands out for port 0 is also handed to
    /// outgoing connections (to PostgreSQL, say) in the time between choosing it and the process binding it, which
    /// made a browser test's gateway fail with "address already in use" under a full run.
    /// </summary>
    public static int FreePort()
    {
        var ephemeralLow = 32768;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            ephemeralLow = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            // Not Linux: keep the common default.
        }

        for (var attempt = 0; attempt < 200 && ephemeralLow > 20000; attempt++)
        {
            var port = Random.Shared.Next(15000, ephemeralLow);
            try
            {
                using var probe = new TcpListener(IPAddress.Loopback, port);
                probe.Start();
                return port;
            }
            catch (SocketException)
            {
                // taken; try another
            }
        }

        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
    }
}
