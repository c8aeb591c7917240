using System.Net;
using System.Net.Http.Json;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Api;

namespace QuayGateway.Tests.Security;

/// <summary>
/// A tenant admin (<c>admin</c>) is the admin of its own tenant only: tenant B's admin cannot see, mint or revoke tenant
/// A's keys, nor reach what belongs to the platform. Neither tenant has <c>platform:admin</c>.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class AdminScopeTests(GatewayFixture gateway)
{
    private readonly string _a = $"iso-a-{Guid.NewGuid().ToString("N")[..8]}";
    private readonly string _b = $"iso-b-{Guid.NewGuid().ToString("N")[..8]}";

    [Fact]
    public async Task A_tenant_admin_lists_only_its_own_tenants_keys()
    {
        var adminA = gateway.Client(await gateway.CreateKeyAsync(_a, Scopes.Admin));
        await gateway.CreateKeyAsync(_a, Scopes.RegistriesRead);
        var adminB = gateway.Client(await gateway.CreateKeyAsync(_b, Scopes.Admin));

        var listedByB = await adminB.GetFromJsonAsync<List<ApiKeyResponse>>("/v1/api-keys");
        var listedByA = await adminA.GetFromJsonAsync<List<ApiKeyResponse>>("/v1/api-keys");
        using var askedForA = await adminB.GetAsync($"/v1/api-keys?tenant={_a}");

        Assert.All(listedByB!, k => Assert.Equal(_b, k.Tenant));
        Assert.Single(listedByB!);
        Assert.Equal(2, listedByA!.Count);
        Assert.Equal(HttpStatusCode.Forbidden, askedForA.StatusCode);
        var everyone = await gateway.Client().GetFromJsonAsync<List<ApiKeyResponse>>("/v1/api-keys");
        Assert.Contains(everyone!, k => k.Tenant == _a);
        Assert.Contains(everyone!, k => k.Tenant == _b);
    }

    [Fact]
    public async Task A_tenant_admin_cannot_mint_keys_for_another_tenant_nor_grant_platform_admin()
    {
        var adminB = gateway.Client(await gateway.CreateKeyAsync(_b, Scopes.Admin));

        using var forA = await adminB.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("steal", [Scopes.Admin], _a));
        using var platform = await adminB.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("escalate", [Scopes.PlatformAdmin]));
        using var own = await adminB.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("own", [Scopes.Admin, Scopes.RegistriesRead]));

        Assert.Equal(HttpStatusCode.Forbidden, forA.StatusCode);
        Assert.Equal("https://quaygateway.dev/problems/forbidden", (string?)(await forA.ReadObjectAsync())["type"]);
        Assert.Equal(HttpStatusCode.Forbidden, platform.StatusCode);
        Assert.Equal(HttpStatusCode.Created, own.StatusCode);
        Assert.Equal(_b, (await own.ReadAsync<CreatedApiKeyResponse>()).Tenant);
        var keysOfA = await gateway.Client().GetFromJsonAsync<List<ApiKeyResponse>>($"/v1/api-keys?tenant={_a}");
        Assert.Empty(keysOfA!);
    }

    [Fact]
    public async Task Revoking_another_tenants_key_answers_404_and_the_key_keeps_working()
    {
        var keyOfA = await gateway.CreateKeyAsync(_a, Scopes.RegistriesRead);
        var idOfA = keyOfA.Split('_', 3)[1];
        var adminB = gateway.Client(await gateway.CreateKeyAsync(_b, Scopes.Admin));

        using var revoke = await adminB.DeleteAsync($"/v1/api-keys/{idOfA}");

        Assert.Equal(HttpStatusCode.NotFound, revoke.StatusCode);
        using var stillWorks = await gateway.Client(keyOfA).GetAsync("/v1/registries");
        Assert.Equal(HttpStatusCode.OK, stillWorks.StatusCode);
    }

    [Theory]
    [InlineData("GET", "/hangfire")]
    [InlineData("GET", "/v1/clusters")]
    [InlineData("GET", "/v1/tenants")]
    [InlineData("GET", "/v1/tenants/iso")]
    [InlineData("DELETE", "/v1/tenants/iso")]
    public async Task A_tenant_admin_is_refused_what_belongs_to_the_platform(string method, string path)
    {
        var adminB = gateway.Client(await gateway.CreateKeyAsync(_b, Scopes.Admin));

        using var response = await adminB.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task A_tenant_admin_still_holds_its_tenants_other_scopes()
    {
        var adminB = gateway.Client(await gateway.CreateKeyAsync(_b, Scopes.Admin));

        using var registry = await adminB.PostJsonAsync("/v1/registries", new CreateRegistryRequest("mine", _b));
        using var list = await adminB.GetAsync("/v1/registries");
        using var webhook = await adminB.PostJsonAsync("/v1/webhooks", new CreateWebhookRequest("http://127.0.0.1:9/b", ["registry.ready"]));

        Assert.Equal(HttpStatusCode.Accepted, registry.StatusCode);
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.Created, webhook.StatusCode);
    }

    [Fact]
    public async Task The_bootstrap_key_is_a_platform_admin()
    {
        using var tenants = await gateway.Client().GetAsync("/v1/tenants");
        using var clusters = await gateway.Client().GetAsync("/v1/clusters");
        using var platformKey = await gateway.Client().PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("ops", [Scopes.PlatformAdmin], _a));

        Assert.Equal(HttpStatusCode.OK, tenants.StatusCode);
        Assert.Equal(HttpStatusCode.OK, clusters.StatusCode);
        Assert.Equal(HttpStatusCode.Created, platformKey.StatusCode);
        using var viaIssued = await gateway.Client((await platformKey.ReadAsync<CreatedApiKeyResponse>()).Key).GetAsync("/v1/tenants");
        Assert.Equal(HttpStatusCode.OK, viaIssued.StatusCode);
    }
}
