using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace QuayGateway.Benchmarks.Foundation;

/// <summary>The gateway as a separate process on loopback (Production settings, Release build when benchmarked in Release).</summary>
public sealed class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;

    private GatewayProcess(Process process, string url)
    {
        _process = process;
        Url = url;
    }

    public string Url { get; }

    public static async Task<GatewayProcess> StartAsync(string connectionString, string adminKey, params string[] extraSettings)
    {
        var port = FreePort();
        var url = $"http://127.0.0.1:{port}";
        var dll = Path.Combine(AppContext.BaseDirectory, "QuayGateway.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[]
                 {
                     dll, "--urls", url, "--environment", "Production",
                     $"--ConnectionStrings:Gateway={connectionString};Maximum Pool Size=200",
                     "--Gateway:Database:MigrateOnStartup=true", $"--Gateway:Auth:BootstrapApiKey={adminKey}",
                     "--Gateway:Clusters:sandbox:sandbox=true", "--Logging:LogLevel:Default=Warning",
                 }.Concat(extraSettings))
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine($"[gateway] {e.Data}"); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var http = new HttpClient();
        for (var i = 0; i < 300; i++)
        {
            try
            {
                if ((await http.GetAsync($"{url}/readyz")).IsSuccessStatusCode)
                {
                    return new GatewayProcess(process, url);
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            if (process.HasExited)
            {
                throw new InvalidOperationException($"The gateway exited with code {process.ExitCode}.");
            }

            await Task.Delay(200);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException("The gateway did not become ready within 60 s.");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }
}
