using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using QuayGateway.DevServices;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Api;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Webhooks.Delivery;

/// <summary>
/// One tenant's webhook receiver is a tarpit: it accepts connections and never answers. Its deliveries hold their
/// workers until the (long) timeout, yet every rollout, that tenant's and another tenant's, reaches Ready meanwhile,
/// because deliveries run on a Hangfire queue with workers of their own. With deliveries on the registry jobs' queue,
/// the held deliveries outnumber those workers and no rollout would get past Accepted. A gateway process of its own,
/// so its worker counts and timeout are the test's.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class WebhookTarpitTests
{
    private const string AdminKey = "qgw-tarpit-test-admin-key";
    private const int RegistryWorkers = 3;
    private const int WebhookWorkers = 2;

    [Fact]
    public async Task A_receiver_that_never_answers_delays_no_rollout()
    {
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        using var tarpit = new Tarpit();
        await using var gateway = await GatewayProcess.StartAsync(postgres.ConnectionString, AdminKey,
            "--Gateway:Clusters:sandbox:sandbox=true",
            "--Gateway:Sandbox:PhaseDelay=00:00:00.200",
            $"--Gateway:Jobs:WorkerCount={RegistryWorkers}",
            $"--Gateway:Webhooks:Workers={WebhookWorkers}",
            "--Gateway:Webhooks:Timeout=00:10:00",
            "--Gateway:Webhooks:AllowedDestinations=127.0.0.0/8");
        using var admin = Client(gateway, AdminKey);
        using var slow = Client(gateway, await CreateKeyAsync(admin, "tarpit-tenant"));
        using var other = Client(gateway, await CreateKeyAsync(admin, "other-tenant"));

        using (var subscribed = await slow.PostJsonAsync("/v1/webhooks", new CreateWebhookRequest($"http://127.0.0.1:{tarpit.Port}/hook", WebhookEventTypes.All)))
        {
            Assert.Equal(HttpStatusCode.Created, subscribed.StatusCode);
        }

        // More delivery queues (one per registry) than there are registry workers: each would hold one for ten minutes.
        var slowIds = new List<Guid>();
        for (var i = 0; i < RegistryWorkers + 3; i++)
        {
            slowIds.Add(await CreateAsync(slow, $"tarpit-{i}"));
        }

        await GatewayFixture.EventuallyAsync(() => Task.FromResult(tarpit.Held), held => held >= WebhookWorkers, TimeSpan.FromSeconds(60));
        var otherId = await CreateAsync(other, "on-time");

        var states = await GatewayFixture.EventuallyAsync(
            async () => (await StatesAsync(slow, slowIds)).Concat(await StatesAsync(other, [otherId])).ToDictionary(),
            s => s.Values.All(v => v == RegistryState.Ready), TimeSpan.FromSeconds(150));
        Assert.True(states.Values.All(v => v == RegistryState.Ready),
            $"not all Ready: {string.Join(", ", states.Select(s => $"{s.Key}={s.Value}"))}\n{gateway.Output}");

        // The rollouts finished while the receiver still held every delivery worker, and only those.
        Assert.Equal(0, tarpit.Released);
        Assert.Equal(WebhookWorkers, tarpit.Held);
    }

    private static HttpClient Client(GatewayProcess gateway, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(gateway.Url) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static async Task<string> CreateKeyAsync(HttpClient admin, string tenant)
    {
        using var response = await admin.PostAsJsonAsync("/v1/api-keys",
            new CreateApiKeyRequest(tenant, [Scopes.RegistriesRead, Scopes.RegistriesWrite, Scopes.WebhooksAdmin], tenant));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!.Key;
    }

    private static async Task<Guid> CreateAsync(HttpClient client, string @namespace)
    {
        using var response = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("registry", @namespace));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return (await response.ReadAsync<RegistryResponse>()).Id;
    }

    private static async Task<Dictionary<Guid, RegistryState>> StatesAsync(HttpClient client, IReadOnlyList<Guid> ids)
    {
        var states = new Dictionary<Guid, RegistryState>();
        foreach (var id in ids)
        {
            states[id] = (await client.GetFromJsonAsync<RegistryResponse>($"/v1/registries/{id}", TestJson.Options))!.State;
        }

        return states;
    }

    /// <summary>Accepts connections and holds them open without a byte in answer, as a hung receiver would.</summary>
    private sealed class Tarpit : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly List<Socket> _held = [];
        private readonly CancellationTokenSource _stop = new();

        public Tarpit()
        {
            _listener.Start();
            _ = Task.Run(AcceptAsync);
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        /// <summary>Connections accepted and still open from the caller's side.</summary>
        public int Held
        {
            get
            {
                lock (_held)
                {
                    return _held.Count(s => !ClosedByPeer(s));
                }
            }
        }

        /// <summary>Connections the caller gave up on (it would do so only at its timeout).</summary>
        public int Released
        {
            get
            {
                lock (_held)
                {
                    return _held.Count(ClosedByPeer);
                }
            }
        }

        private static bool ClosedByPeer(Socket socket) => socket.Poll(0, SelectMode.SelectRead) && socket.Available == 0;

        private async Task AcceptAsync()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var socket = await _listener.AcceptSocketAsync(_stop.Token);
                    lock (_held)
                    {
                        _held.Add(socket);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
            }
        }

        public void Dispose()
        {
            _stop.Cancel();
            _listener.Stop();
            lock (_held)
            {
                _held.ForEach(s => s.Dispose());
            }
        }
    }
}
