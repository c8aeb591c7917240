using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using QuayGateway.DevServices;
using QuayGateway.Hosting;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Api;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// Expected refusals read as one line each at Information or Warning, with the reason and no stack trace: a receiver
/// that refuses the connection, one that answers 500, and one the destination guard refuses at delivery time.
/// </summary>
public sealed class RefusalLogTests
{
    private const string AdminKey = "qgw-refusal-log-key";

    [Fact]
    public async Task Refused_webhook_destinations_log_one_line_each_without_a_stack_trace()
    {
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        using var failing = new Answering500();
        var closedPort = ClosedPort();
        IReadOnlyList<StartupLogTests.LogLine> lines;
        await using (var gateway = await GatewayProcess.StartAsync(postgres.ConnectionString, AdminKey,
                         "--Logging:LogLevel:Default=Information",
                         "--Gateway:Webhooks:AllowedDestinations=127.0.0.1/32"))
        {
            using var admin = new HttpClient { BaseAddress = new Uri(gateway.Url) };
            admin.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
            using var key = await admin.PostAsJsonAsync("/v1/api-keys",
                new CreateApiKeyRequest("refusals", [Scopes.WebhooksAdmin], "refusals"));
            key.EnsureSuccessStatusCode();
            using var client = new HttpClient { BaseAddress = new Uri(gateway.Url) };
            client.DefaultRequestHeaders.Add("X-Api-Key", (await key.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!.Key);

            foreach (var url in new[] { $"http://127.0.0.1:{closedPort}/hook", $"http://127.0.0.1:{failing.Port}/hook" })
            {
                using var created = await client.PostJsonAsync("/v1/webhooks", new CreateWebhookRequest(url, WebhookEventTypes.All));
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                var id = (await created.ReadAsync<CreatedWebhookResponse>()).Id;
                using var ping = await client.PostAsync($"/v1/webhooks/{id}/ping", null);
                Assert.True(ping.IsSuccessStatusCode, $"ping: {(int)ping.StatusCode}");
            }

            await GatewayFixture.EventuallyAsync(() => Task.FromResult(AttemptLines(LogLines(gateway))), n => n >= 2, TimeSpan.FromSeconds(60));
            await Task.Delay(1000);
            lines = LogLines(gateway);
        }

        var output = string.Join('\n', lines.Select(l => $"{l.Level} {l.Source} {l.Id}: {l.Text} {l.Error}"));
        Assert.DoesNotContain(lines, l => l.Error is not null);
        Assert.DoesNotContain(lines, l => l.Text.Contains("   at ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Level is "Error" or "Critical");
        Assert.True(AttemptLines(lines) == 2, output);
        Assert.Contains(lines, l => l.Text.Contains("Connection refused", StringComparison.OrdinalIgnoreCase));
        Assert.Contains(lines, l => l.Text.Contains("HTTP 500", StringComparison.Ordinal));
    }

    /// <summary>
    /// A webhook saved while its destination was allowed, delivered after the allow list narrowed (a restart with
    /// new settings): the guard refuses the connection itself, the receiver sees nothing, and the attempt is one line.
    /// </summary>
    [Fact]
    public async Task A_destination_refused_at_delivery_time_is_not_connected_to_and_logs_one_line_without_a_stack_trace()
    {
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        using var receiver = new Answering500();
        Guid id;
        string key;
        await using (var allowing = await GatewayProcess.StartAsync(postgres.ConnectionString, AdminKey,
                         "--Gateway:Webhooks:AllowedDestinations=127.0.0.1/32"))
        {
            using var admin = new HttpClient { BaseAddress = new Uri(allowing.Url) };
            admin.DefaultRequestHeaders.Add("X-Api-Key", AdminKey);
            using var created = await admin.PostAsJsonAsync("/v1/api-keys",
                new CreateApiKeyRequest("refusals", [Scopes.WebhooksAdmin], "refusals"));
            created.EnsureSuccessStatusCode();
            key = (await created.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!.Key;
            using var client = new HttpClient { BaseAddress = new Uri(allowing.Url) };
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            using var webhook = await client.PostJsonAsync("/v1/webhooks",
                new CreateWebhookRequest($"http://127.0.0.1:{receiver.Port}/hook", WebhookEventTypes.All));
            Assert.Equal(HttpStatusCode.Created, webhook.StatusCode);
            id = (await webhook.ReadAsync<CreatedWebhookResponse>()).Id;
        }

        IReadOnlyList<StartupLogTests.LogLine> lines;
        DeliveryResponse delivery;
        await using (var narrowed = await GatewayProcess.StartAsync(postgres.ConnectionString, AdminKey,
                         "--Logging:LogLevel:Default=Information"))
        {
            using var client = new HttpClient { BaseAddress = new Uri(narrowed.Url) };
            client.DefaultRequestHeaders.Add("X-Api-Key", key);
            using var ping = await client.PostAsync($"/v1/webhooks/{id}/ping", null);
            Assert.Equal(HttpStatusCode.Accepted, ping.StatusCode);
            delivery = await GatewayFixture.EventuallyAsync(
                async () => (await client.GetFromJsonAsync<DeliveryPage>($"/v1/webhooks/{id}/deliveries", TestJson.Options))!.Items.Single(),
                d => d.Attempts.Count >= 1, TimeSpan.FromSeconds(60));
            await GatewayFixture.EventuallyAsync(() => Task.FromResult(AttemptLines(LogLines(narrowed))), n => n >= 1, TimeSpan.FromSeconds(30));
            lines = LogLines(narrowed);
        }

        var output = string.Join('\n', lines.Select(l => $"{l.Level} {l.Source} {l.Id}: {l.Text} {l.Error}"));
        Assert.Equal(0, receiver.Connections);
        Assert.Null(delivery.Attempts[0].StatusCode);
        Assert.StartsWith("Destination refused: '127.0.0.1' resolves only to internal addresses", delivery.Attempts[0].Error);
        Assert.Contains(DestinationGuard.WebhooksSetting, delivery.Attempts[0].Error);
        Assert.DoesNotContain(lines, l => l.Error is not null);
        Assert.DoesNotContain(lines, l => l.Text.Contains("   at ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Level is "Error" or "Critical");
        var attempt = Assert.Single(lines, l => l.Source.StartsWith("QuayGateway.Webhooks", StringComparison.Ordinal) && l.Text.Contains(" attempt 1", StringComparison.Ordinal));
        Assert.True(attempt.Text.Contains("Destination refused", StringComparison.Ordinal), output);
    }

    private static IReadOnlyList<StartupLogTests.LogLine> LogLines(GatewayProcess gateway) => StartupLogTests.LogLine.ParseAll(gateway.Output);

    private static int AttemptLines(IReadOnlyList<StartupLogTests.LogLine> lines) =>
        lines.Count(l => l.Source.StartsWith("QuayGateway.Webhooks", StringComparison.Ordinal) && l.Text.Contains(" attempt 1", StringComparison.Ordinal));

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>A receiver that answers every request with 500.</summary>
    private sealed class Answering500 : IDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private int _connections;

        public Answering500()
        {
            _listener.Start();
            _ = Task.Run(async () =>
            {
                while (true)
                {
                    Socket socket;
                    try
                    {
                        socket = await _listener.AcceptSocketAsync();
                    }
                    catch (Exception)
                    {
                        return;
                    }

                    Interlocked.Increment(ref _connections);
                    _ = Task.Run(async () =>
                    {
                        using (socket)
                        {
                            var buffer = new byte[65536];
                            await socket.ReceiveAsync(buffer);
                            await socket.SendAsync("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\nConnection: close\r\n\r\nboom"u8.ToArray());
                        }
                    });
                }
            });
        }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        public void Dispose() => _listener.Stop();
    }
}
