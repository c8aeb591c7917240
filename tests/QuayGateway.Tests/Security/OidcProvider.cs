using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Security;

/// <summary>
/// node-oidc-provider (npm <c>oidc-provider</c>, a certified OpenID Connect provider) on loopback, from
/// <c>Security/node/provider.mjs</c>: the trusted issuer on <c>localhost</c> (another host than the gateway's
/// <c>127.0.0.1</c>), an impostor with the same issuer name and key id but its own key, and another issuer. Its
/// clients and people are listed in the script. <c>.ci/run</c> installs its packages (<c>npm ci</c> in that folder).
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _errors = [];

    private OidcProvider(Process process, JsonNode started)
    {
        _process = process;
        Issuer = started["issuer"]!.GetValue<string>();
        Impostor = started["impostor"]!.GetValue<string>();
        Other = started["other"]!.GetValue<string>();
    }

    /// <summary>The issuer the gateway trusts, <c>http://localhost:port</c>.</summary>
    public string Issuer { get; }

    /// <summary>Signs tokens that name <see cref="Issuer"/> with a key of its own.</summary>
    public string Impostor { get; }

    /// <summary>Another issuer altogether.</summary>
    public string Other { get; }

    public static string Folder
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "QuayGateway.sln")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("QuayGateway.sln not found above the test binaries"),
                "tests", "QuayGateway.Tests", "Security", "node");
        }
    }

    /// <summary>How long one start may stay silent before it is given up and the provider started again.</summary>
    private static readonly TimeSpan AttemptTimeout = GatewayProcess.StartTimeout / 3;

    private const int Attempts = 3;

    /// <summary>
    /// Starts the providers. The gateway client may use <paramref name="redirectUris"/> to sign in and
    /// <paramref name="postLogoutRedirectUris"/> to come back from signing out (RP-initiated logout, on unless
    /// <paramref name="rpInitiatedLogout"/> is false: then discovery names no <c>end_session_endpoint</c>).
    /// A healthy start prints within a second or two. Once in CI a start printed nothing for 180 s, neither its line nor
    /// an error, and did not exit (a start run by hand right after was fine): a start silent for a third of the budget
    /// is killed, what its process was doing is kept, and the provider is started again, up to three times in the
    /// budget the single start had. A start that exits without its line fails at once.
    /// </summary>
    public static async Task<OidcProvider> StartAsync(
        IEnumerable<string> redirectUris, IEnumerable<string>? swaggerRedirectUris = null,
        IEnumerable<string>? postLogoutRedirectUris = null, bool rpInitiatedLogout = true)
    {
        if (!Directory.Exists(Path.Combine(Folder, "node_modules", "oidc-provider")))
        {
            throw new InvalidOperationException($"oidc-provider is not installed: run `npm ci` in {Folder} (.ci/run does).");
        }

        var arguments = JsonSerializer.Serialize(new
        {
            redirectUris, swaggerRedirectUris = swaggerRedirectUris ?? [], postLogoutRedirectUris = postLogoutRedirectUris ?? [], rpInitiatedLogout,
        });
        var silentStarts = new List<string>();
        for (var attempt = 1; attempt <= Attempts; attempt++)
        {
            var (provider, silence) = await TryStartAsync(arguments);
            if (provider is not null)
            {
                if (silentStarts.Count > 0)
                {
                    // Not a failure, but not to be lost either: the test log shows what the silent starts were doing.
                    Console.Error.WriteLine($"OIDC provider: started on attempt {attempt}; before it:\n{string.Join("\n", silentStarts)}");
                }

                return provider;
            }

            silentStarts.Add($"attempt {attempt}: {silence}");
        }

        throw new TimeoutException($"The OIDC provider printed nothing in {Attempts} starts of {AttemptTimeout.TotalSeconds:0} s each:\n" +
            string.Join("\n", silentStarts));
    }

    /// <summary>One start: the provider once it printed its line, or why this start was given up as silent.</summary>
    private static async Task<(OidcProvider? Provider, string? Silence)> TryStartAsync(string arguments)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add("provider.mjs");
        start.ArgumentList.Add(arguments);
        var process = Process.Start(start)!;
        var errors = new List<string>();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (errors)
                {
                    errors.Add(e.Data);
                }
            }
        };
        process.BeginErrorReadLine();
        // The first line is read on a thread of its own: a starved thread pool in the test host must not pass for a
        // silent provider.
        var started = Stopwatch.StartNew();
        var firstLine = Task.Factory.StartNew(process.StandardOutput.ReadLine, CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);
        string? line;
        try
        {
            line = await firstLine.WaitAsync(AttemptTimeout);
        }
        catch (TimeoutException)
        {
            var exited = process.HasExited;
            var threads = exited ? "" : ProcessThreads(process.Id);
            process.Kill(entireProcessTree: true);
            process.Dispose();
            lock (errors)
            {
                return (null,
                    $"printed nothing within {started.Elapsed.TotalSeconds:0} s (exited: {exited}; load average " +
                    $"{File.ReadAllText("/proc/loadavg").Trim()}; test host thread pool: {ThreadPool.ThreadCount} threads, " +
                    $"{ThreadPool.PendingWorkItemCount} queued; node's threads: {threads}); stderr:\n{string.Join("\n", errors)}");
            }
        }

        if (line is null)
        {
            throw new InvalidOperationException("The OIDC provider did not start:\n" + string.Join("\n", errors));
        }

        var provider = new OidcProvider(process, JsonNode.Parse(line)!);
        provider._errors.AddRange(errors);
        return (provider, null);
    }

    /// <summary>Each thread of a process: its name, its state and the kernel function it waits in (Linux /proc).</summary>
    private static string ProcessThreads(int pid)
    {
        try
        {
            return string.Join(", ", Directory.GetDirectories($"/proc/{pid}/task").Select(task =>
            {
                var status = File.ReadAllLines(Path.Combine(task, "status"));
                string Field(string name) => status.FirstOrDefault(l => l.StartsWith(name + ":", StringComparison.Ordinal))?[(name.Length + 1)..].Trim() ?? "?";
                return $"{Field("Name")} {Field("State")} in {File.ReadAllText(Path.Combine(task, "wchan"))}";
            }));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"unreadable ({e.Message})";
        }
    }

    /// <summary>A client-credentials access token (a JWT) for one of the script's machine clients.</summary>
    public static async Task<string> TokenAsync(string provider, string client, string scope = "registries:read")
    {
        using var http = new HttpClient();
        using var response = await http.PostAsync(provider + "/token", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials", ["client_id"] = client, ["client_secret"] = client + "-secret", ["scope"] = scope,
        }));
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{provider}/token for {client}: {(int)response.StatusCode} {body}");
        return JsonNode.Parse(body)!["access_token"]!.GetValue<string>();
    }

    public Task<string> TokenAsync(string client, string scope = "registries:read") => TokenAsync(Issuer, client, scope);

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(5000))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        _process.Dispose();
        await Task.CompletedTask;
    }
}
