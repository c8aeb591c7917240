using System.Net;
using System.Text.Json.Nodes;
using QuayGateway.DevServices;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// With PostgreSQL gone, requests are told to come back (503 with Retry-After) instead of failing with 500, and
/// readiness says the replica cannot serve. A real gateway process on a PostgreSQL of its own, which the test stops.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class DatabaseOutageTests
{
    [Fact]
    public async Task While_postgresql_is_down_requests_get_503_with_retry_after_and_readyz_fails()
    {
        var postgres = await DevPostgres.StartThrowawayAsync();
        await using var gateway = await GatewayProcess.StartAsync(postgres.ConnectionString, GatewayFixture.AdminKey,
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false");
        using var http = new HttpClient { BaseAddress = new Uri(gateway.Url) };
        http.DefaultRequestHeaders.Add("X-Api-Key", GatewayFixture.AdminKey);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/v1/registries")).StatusCode);

        await postgres.DisposeAsync();

        using var list = await http.GetAsync("/v1/registries");
        using var one = await http.GetAsync($"/v1/registries/{Guid.NewGuid()}");
        using var ready = await http.GetAsync("/readyz");
        foreach (var response in new[] { list, one })
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)response.StatusCode}: {text}");
            Assert.Equal("https://quaygateway.dev/problems/service-unavailable", (string?)JsonNode.Parse(text)!["type"]);
            Assert.NotNull(response.Headers.RetryAfter);
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.False(gateway.HasExited);
    }
}
