using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using Xunit.Abstractions;

namespace QuayGateway.Tests.Security;

/// <summary>
/// Two replicas on one database: the test host and a gateway process. A key revoked on one stops working on the other
/// at once (PostgreSQL NOTIFY), the event streams it opened there end, and a listener that lost its connection
/// forgets every cached key when it is back. Bounds are generous (the cache alone would keep a key 30 s); the
/// measured delays are written to the test output.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KeyRevocationTests(GatewayFixture gateway, ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private GatewayProcess _replica = null!;

    public async Task InitializeAsync() => _replica = await GatewayProcess.StartAsync(gateway.ConnectionString, GatewayFixture.AdminKey,
        "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false");

    public async Task DisposeAsync() => await _replica.DisposeAsync();

    [Fact]
    public async Task A_key_revoked_on_one_replica_is_refused_by_the_other_at_once_and_its_event_stream_there_ends()
    {
        var (keyId, key) = await CreateKeyAsync("revocation", Scopes.RegistriesRead, Scopes.RegistriesWrite);
        using var created = await gateway.Client(key).PostJsonAsync("/v1/registries", new CreateRegistryRequest("rev-" + Guid.NewGuid().ToString("N")[..10], "revocation"));
        var registry = await created.ReadAsync<RegistryResponse>();
        using var replica = ReplicaClient(key);
        Assert.Equal(HttpStatusCode.OK, (await replica.GetAsync("/v1/registries")).StatusCode); // cached there now

        using var streamRequest = new HttpRequestMessage(HttpMethod.Get, $"/v1/registries/{registry.Id}/events");
        streamRequest.Headers.Accept.ParseAdd("text/event-stream");
        using var stream = await replica.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        await using var body = await stream.Content.ReadAsStreamAsync();
        var buffer = new byte[4096];
        Assert.True(await body.ReadAsync(buffer) > 0); // the stream is live: the timeline's first entry arrived
        var clock = new Stopwatch();
        var ended = DrainAsync(body);

        using var revoke = await gateway.Client().DeleteAsync($"/v1/api-keys/{keyId}");
        Assert.Equal(HttpStatusCode.NoContent, revoke.StatusCode);
        clock.Start();

        // Polled tightly, so the figure in the output is the delay itself rather than the polling interval.
        while (await StatusAsync(replica) != HttpStatusCode.Unauthorized && clock.Elapsed < Bound)
        {
            await Task.Delay(5);
        }

        var refusedAfter = clock.Elapsed;
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(replica));
        Assert.True(refusedAfter < Bound, $"the replica still accepted the revoked key after {refusedAfter}");
        Assert.True(await Task.WhenAny(ended, Task.Delay(Bound)) == ended, "the event stream of the revoked key is still open");
        output.WriteLine($"revoked on the test host: refused by the replica after {refusedAfter.TotalMilliseconds:F0} ms, " +
                         $"its event stream there ended after {(await ended).TotalMilliseconds:F0} ms");

        // Only that key: the replica still serves others, and streams of other keys keep going.
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(ReplicaClient(GatewayFixture.AdminKey)));

        async Task<TimeSpan> DrainAsync(Stream s)
        {
            while (await s.ReadAsync(buffer) > 0)
            {
            }

            return clock.Elapsed;
        }
    }

    [Fact]
    public async Task After_its_listener_reconnects_a_replica_forgets_keys_whose_notification_it_missed()
    {
        var (keyId, key) = await CreateKeyAsync("revocation-missed", Scopes.RegistriesRead);
        using var replica = ReplicaClient(key);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync(replica));

        // Revoked without a notification, as if it had been sent while the replica was not listening.
        await using (var connection = new NpgsqlConnection(gateway.ConnectionString))
        {
            await connection.OpenAsync();
            await using var silent = new NpgsqlCommand(
                "SET session_replication_role = replica; DELETE FROM gateway.api_keys WHERE id = @id; SET session_replication_role = origin;", connection);
            silent.Parameters.AddWithValue("id", keyId);
            Assert.Equal(1, await silent.ExecuteNonQueryAsync());
        }

        Assert.Equal(HttpStatusCode.OK, await StatusAsync(replica)); // still cached: nothing told the replica

        await using (var connection = new NpgsqlConnection(gateway.ConnectionString))
        {
            await connection.OpenAsync();
            await using var terminate = new NpgsqlCommand(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = @name) t", connection);
            terminate.Parameters.AddWithValue("name", $"quay-gateway-listener:{_replica.Id}");
            Assert.Equal(1L, await terminate.ExecuteScalarAsync());
        }

        var clock = Stopwatch.StartNew();
        var refused = await GatewayFixture.EventuallyAsync(() => StatusAsync(replica), s => s == HttpStatusCode.Unauthorized, TimeSpan.FromSeconds(20));
        Assert.Equal(HttpStatusCode.Unauthorized, refused);
        Assert.True(clock.Elapsed < ApiKeyCache.Lifetime, "the key was refused only when its cache entry expired");
        output.WriteLine($"listener connection killed: the replica refused the silently revoked key after {clock.Elapsed.TotalMilliseconds:F0} ms");
    }

    private async Task<(string Id, string Key)> CreateKeyAsync(string tenant, params string[] scopes)
    {
        using var response = await gateway.Client().PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest($"test-{tenant}", scopes, tenant));
        response.EnsureSuccessStatusCode();
        var created = (await response.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!;
        return (created.Id, created.Key);
    }

    private HttpClient ReplicaClient(string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(_replica.Url), Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.Add(ApiKeyAuthenticationHandler.Header, key);
        return client;
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client)
    {
        using var response = await client.GetAsync("/v1/registries");
        return response.StatusCode;
    }
}
