using System.Net;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Registries.Api;

[Collection(GatewayCollection.Name)]
public sealed class ReadRegistriesTests(GatewayFixture gateway)
{
    private async Task<RegistryResponse> CreateAsync(HttpClient client, string name, string ns, string? cluster = null)
    {
        using var response = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest(name, ns, cluster));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.ReadAsync<RegistryResponse>();
    }

    [Fact]
    public async Task Get_returns_the_registry_with_an_etag_and_honours_if_none_match()
    {
        var created = await CreateAsync(gateway.Client(), "get-" + Guid.NewGuid().ToString("N")[..8], "quay-enterprise");
        using var client = gateway.Client();
        // Let the apply job finish its first transition, so the row holds still while we compare ETags.
        await GatewayFixture.EventuallyAsync(async () => await (await client.GetAsync($"/v1/registries/{created.Id}")).ReadAsync<RegistryResponse>(),
            r => r.State == RegistryState.Ready);
        using var response = await client.GetAsync($"/v1/registries/{created.Id}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var etag = response.Headers.ETag;
        Assert.NotNull(etag);
        Assert.Equal(created.Name, (await response.ReadAsync<RegistryResponse>()).Name);

        using var conditional = new HttpRequestMessage(HttpMethod.Get, $"/v1/registries/{created.Id}");
        conditional.Headers.IfNoneMatch.Add(etag);
        using var notModified = await client.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        using var stale = new HttpRequestMessage(HttpMethod.Get, $"/v1/registries/{created.Id}");
        stale.Headers.IfNoneMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue("\"1\""));
        using var changed = await client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
    }

    [Fact]
    public async Task Get_answers_exactly_what_the_stored_row_holds()
    {
        // The read goes straight to Npgsql: every field, the JSON columns and the row version must match EF Core's view.
        var request = CreateRegistry.Example with
        {
            Name = "exact-" + Guid.NewGuid().ToString("N")[..8], Namespace = "exact", InitialUser = null, Organizations = null,
        };
        using var client = gateway.Client();
        using var posted = await client.PostJsonAsync("/v1/registries", request);
        var id = (await posted.ReadAsync<RegistryResponse>()).Id;
        await GatewayFixture.EventuallyAsync(async () => await (await client.GetAsync($"/v1/registries/{id}")).ReadAsync<RegistryResponse>(),
            r => r.State == RegistryState.Ready);

        var (answered, stored) = await GatewayFixture.EventuallyAsync(async () =>
        {
            using var response = await client.GetAsync($"/v1/registries/{id}");
            var row = await gateway.WithDbAsync(db => db.Registries.AsNoTracking().SingleAsync(r => r.Id == id));
            return ((Json: await response.Content.ReadAsStringAsync(), ETag: response.Headers.ETag?.Tag),
                (Json: System.Text.Json.JsonSerializer.Serialize(RegistryResponse.From(row), TestJson.Options), ETag: row.ETag));
        }, pair => pair.Item1.ETag == pair.Item2.ETag);

        Assert.Equal(stored.ETag, answered.ETag);
        Assert.Equal(System.Text.Json.Nodes.JsonNode.Parse(stored.Json)!.ToJsonString(), System.Text.Json.Nodes.JsonNode.Parse(answered.Json)!.ToJsonString());
        Assert.Contains("\"labels\":{\"team\":\"payments\"}", answered.Json, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_registry_is_a_404_problem()
    {
        using var response = await gateway.Client().GetAsync($"/v1/registries/{Guid.NewGuid()}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("https://quaygateway.dev/problems/not-found", (string?)(await response.ReadObjectAsync())["type"]);
    }

    [Fact]
    public async Task Another_tenants_registry_is_404_and_absent_from_lists()
    {
        var alice = gateway.Client(await gateway.CreateKeyAsync("alice", Scopes.RegistriesRead, Scopes.RegistriesWrite));
        var bob = gateway.Client(await gateway.CreateKeyAsync("bob", Scopes.RegistriesRead, Scopes.RegistriesWrite));
        var alices = await CreateAsync(alice, "alice-" + Guid.NewGuid().ToString("N")[..8], "alice-ns");

        using var fromBob = await bob.GetAsync($"/v1/registries/{alices.Id}");
        Assert.Equal(HttpStatusCode.NotFound, fromBob.StatusCode);
        var bobsList = await (await bob.GetAsync("/v1/registries?namespace=alice-ns")).ReadAsync<RegistryPage>();
        Assert.Empty(bobsList.Items);
        var alicesList = await (await alice.GetAsync("/v1/registries?namespace=alice-ns")).ReadAsync<RegistryPage>();
        Assert.Contains(alicesList.Items, r => r.Id == alices.Id);
    }

    [Fact]
    public async Task List_filters_by_cluster_namespace_and_state()
    {
        var client = gateway.Client(await gateway.CreateKeyAsync("filters", Scopes.RegistriesRead, Scopes.RegistriesWrite));
        var a = await CreateAsync(client, "fa", "ns-one");
        var b = await CreateAsync(client, "fb", "ns-two");
        var c = await CreateAsync(client, "fc", "ns-one", "edge");

        var nsOne = await (await client.GetAsync("/v1/registries?namespace=ns-one")).ReadAsync<RegistryPage>();
        Assert.Equal(new[] { c.Id, a.Id }, nsOne.Items.Select(r => r.Id));
        var edge = await (await client.GetAsync("/v1/registries?cluster=edge")).ReadAsync<RegistryPage>();
        Assert.Equal(new[] { c.Id }, edge.Items.Select(r => r.Id));
        var ready = await GatewayFixture.EventuallyAsync(
            async () => await (await client.GetAsync("/v1/registries?state=Ready")).ReadAsync<RegistryPage>(),
            page => page.Items.Count == 3);
        Assert.Equal(new[] { c.Id, b.Id, a.Id }, ready.Items.Select(r => r.Id));
        var accepted = await (await client.GetAsync("/v1/registries?state=Accepted")).ReadAsync<RegistryPage>();
        Assert.Empty(accepted.Items);
    }

    [Fact]
    public async Task Cursor_paging_walks_every_registry_once()
    {
        var client = gateway.Client(await gateway.CreateKeyAsync("paging", Scopes.RegistriesRead, Scopes.RegistriesWrite));
        var created = new List<Guid>();
        for (var i = 0; i < 7; i++)
        {
            created.Add((await CreateAsync(client, $"page-{i}", "paging")).Id);
        }

        var seen = new List<Guid>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await (await client.GetAsync($"/v1/registries?limit=3{(cursor is null ? "" : "&cursor=" + cursor)}")).ReadAsync<RegistryPage>();
            Assert.True(page.Items.Count <= 3);
            seen.AddRange(page.Items.Select(r => r.Id));
            cursor = page.NextCursor;
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Reverse(created), seen);
    }

    [Theory]
    [InlineData("?limit=0", "limit")]
    [InlineData("?limit=1000", "limit")]
    [InlineData("?cursor=bm90LWEtY3Vyc29y", "cursor")]
    public async Task Bad_list_parameters_are_validation_problems(string query, string field)
    {
        using var response = await gateway.Client().GetAsync("/v1/registries" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadObjectAsync())["errors"]!.AsObject().ContainsKey(field));
    }

    [Fact]
    public async Task Unknown_state_filter_is_a_400_problem()
    {
        using var response = await gateway.Client().GetAsync("/v1/registries?state=Sleeping");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
