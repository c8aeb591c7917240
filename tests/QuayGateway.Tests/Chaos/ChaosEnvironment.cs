using System.Net;
using System.Net.Http.Json;
using k8s;
using Npgsql;
using QuayGateway.DevServices;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Sandbox;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Chaos;

/// <summary>
/// What a chaos scenario breaks: a throwaway PostgreSQL, a sandbox cluster in this process (so it outlives every
/// replica and the scenario can inject faults into it), and gateway replicas as OS processes that reach the sandbox
/// through a kubeconfig and share the database. Everything started here is stopped on dispose.
/// </summary>
public sealed class ChaosEnvironment : IAsyncDisposable
{
    public const string AdminKey = "qgw-chaos-admin-key";
    public const string Cluster = "chaos";

    /// <summary>The resync job (deadline sweep, relist) every two seconds instead of every minute, so deadlines are seen soon.</summary>
    public const string FastResync = "--Gateway:Jobs:ResyncCron=*/2 * * * * *";

    private readonly List<GatewayProcess> _replicas = [];
    private readonly string _kubeconfig;

    private ChaosEnvironment(DevPostgres postgres, SandboxCluster sandbox, string kubeconfig)
    {
        Postgres = postgres;
        Sandbox = sandbox;
        _kubeconfig = kubeconfig;
    }

    public DevPostgres Postgres { get; }
    public SandboxCluster Sandbox { get; }

    public static async Task<ChaosEnvironment> StartAsync(TimeSpan phaseDelay)
    {
        var postgres = await DevPostgres.StartThrowawayAsync();
        var kubeconfig = Path.Combine(Path.GetTempPath(), $"qg-chaos-{Guid.NewGuid():N}.kubeconfig");
        var sandbox = await SandboxCluster.StartAsync(new SandboxOptions
        {
            Name = Cluster, KubeconfigPath = kubeconfig, PhaseDelay = phaseDelay, WatchHistoryLimit = 100_000,
            GatewayRoleManifest = SandboxCluster.ChartGatewayRoleManifest,
        });
        return new ChaosEnvironment(postgres, sandbox, kubeconfig);
    }

    /// <summary>
    /// Starts a replica on the shared database and sandbox. Crash recovery is shortened (a killed replica's jobs run
    /// again after 3 s, the watch is taken over within a second); <paramref name="settings"/> win over these.
    /// </summary>
    public async Task<GatewayProcess> StartReplicaAsync(params string[] settings)
    {
        var replica = await GatewayProcess.StartAsync(Postgres.ConnectionString, AdminKey,
            [
                // As the service account bound to the chart's ClusterRole (the kubeconfig's <name>-gateway context).
                $"--Gateway:Clusters:{Cluster}:kubeconfig={_kubeconfig}", $"--Gateway:Clusters:{Cluster}:context={Cluster}-gateway",
                $"--Gateway:DefaultCluster={Cluster}",
                "--Gateway:Watch:LeaderRetryInterval=00:00:01", "--Gateway:Jobs:InvisibilityTimeout=00:00:03",
                "--Gateway:Jobs:WorkerCount=4", "--Gateway:Webhooks:AllowedDestinations=127.0.0.0/8",
                .. settings,
            ]);
        lock (_replicas)
        {
            _replicas.Add(replica);
        }

        return replica;
    }

    public static HttpClient Client(GatewayProcess replica, string key = AdminKey)
    {
        var client = new HttpClient { BaseAddress = new Uri(replica.Url), Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    /// <summary>A Kubernetes client for the sandbox, as any other client of the cluster would reach it.</summary>
    public Kubernetes Kubernetes() => new(KubernetesClientConfiguration.BuildConfigFromConfigFile(_kubeconfig));

    /// <summary>Creates a registry and returns its id, or null with the answer when it was not accepted.</summary>
    public static async Task<(Guid? Id, HttpResponseMessage Response)> CreateAsync(HttpClient client, string ns, string name = "example-registry")
    {
        var response = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest(name, ns));
        return response.StatusCode == HttpStatusCode.Accepted ? ((await response.ReadAsync<RegistryResponse>()).Id, response) : (null, response);
    }

    /// <summary>Every registry the caller sees, all pages.</summary>
    public static async Task<List<RegistryResponse>> RegistriesAsync(HttpClient client)
    {
        var all = new List<RegistryResponse>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<RegistryPage>(
                $"/v1/registries?limit=200{(cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor))}", TestJson.Options);
            all.AddRange(page!.Items);
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        return all;
    }

    /// <summary>Polls until every one of <paramref name="ids"/> is in one of <paramref name="states"/>; returns the last states seen.</summary>
    public static Task<Dictionary<Guid, RegistryState>> WaitForStatesAsync(
        HttpClient client, IReadOnlyCollection<Guid> ids, TimeSpan timeout, params RegistryState[] states) =>
        Poll.UntilAsync(
            async () => (await RegistriesAsync(client)).Where(r => ids.Contains(r.Id)).ToDictionary(r => r.Id, r => r.State),
            s => s.Count == ids.Count && s.Values.All(states.Contains), timeout, TimeSpan.FromMilliseconds(500),
            typeof(HttpRequestException), typeof(TaskCanceledException));

    public static async Task<List<TimelineEntry>> TimelineAsync(HttpClient client, Guid id) =>
        [.. (await client.GetFromJsonAsync<TimelinePage>($"/v1/registries/{id}/events", TestJson.Options))!.Items];

    /// <summary>A query straight against the gateway's database (what the gateway stored, and Hangfire's storage).</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params (string Name, object Value)[] parameters)
    {
        await using var connection = new NpgsqlConnection(Postgres.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>The last lines of every replica's output, for a MISS's detail.</summary>
    public string ReplicaOutput()
    {
        lock (_replicas)
        {
            return string.Join("\n", _replicas.Select((r, i) => $"--- replica {i} (pid {r.Id}{(r.HasExited ? ", exited" : "")}):\n{r.Output}"));
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<GatewayProcess> replicas;
        lock (_replicas)
        {
            replicas = [.. _replicas];
        }

        foreach (var replica in replicas)
        {
            await replica.DisposeAsync();
        }

        await Sandbox.DisposeAsync();
        await Postgres.DisposeAsync();
        File.Delete(_kubeconfig);
    }
}
