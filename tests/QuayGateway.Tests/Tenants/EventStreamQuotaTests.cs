using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayGateway.Hosting;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tenants;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Tenants;

/// <summary>Open event streams count against the tenant's <c>eventStreams</c> quota; a closed one frees its slot.</summary>
[Collection(GatewayCollection.Name)]
public sealed class EventStreamQuotaTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_stream_beyond_the_quota_is_refused_until_one_closes()
    {
        var tenant = "streams-" + Guid.NewGuid().ToString("N")[..10];
        using (var put = await gateway.Client().PutAsJsonAsync($"/v1/tenants/{tenant}",
                   new TenantPolicyRequest(["*"], ["*"], new TenantQuotas { EventStreams = 2 }), TestJson.Options))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        using var client = gateway.Client(await gateway.CreateKeyAsync(tenant, Scopes.RegistriesRead, Scopes.RegistriesWrite));
        using var created = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("registry", "streams-" + Guid.NewGuid().ToString("N")[..8]));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.ReadAsync<RegistryResponse>()).Id;

        using var first = await OpenAsync(client, id);
        using var second = await OpenAsync(client, id);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);

        using (var third = await OpenAsync(client, id))
        {
            Assert.Equal(HttpStatusCode.Forbidden, third.StatusCode);
            var problem = JsonNode.Parse(await third.Content.ReadAsStringAsync())!;
            Assert.Equal(ProblemTypes.QuotaExceeded, (string?)problem["type"]);
            Assert.Equal("eventStreams", (string?)problem["quota"]);
            Assert.Equal(2, (int?)problem["limit"]);
        }

        // The timeline as JSON is not a stream and is never refused.
        using (var page = await client.GetAsync($"/v1/registries/{id}/events"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        }

        // Closing a stream frees its slot.
        first.Dispose();
        var reopened = await GatewayFixture.EventuallyAsync(async () =>
        {
            var response = await OpenAsync(client, id);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                response.Dispose();
            }

            return response;
        }, r => r.StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(30));
        using (reopened)
        {
            Assert.Equal(HttpStatusCode.OK, reopened.StatusCode);
        }
    }

    private static async Task<HttpResponseMessage> OpenAsync(HttpClient client, Guid id)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/registries/{id}/events");
        request.Headers.Accept.ParseAdd("text/event-stream");
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }
}
