using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using QuayGateway.Registries.Model;
using QuayGateway.Tenants;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Tenants;

/// <summary>What a tenant without a policy of its own may do: everything in Development, nothing written elsewhere unless configured.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TenantDefaultsTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData("Development", true)]
    [InlineData("Production", false)]
    [InlineData("Staging", false)]
    public void Development_alone_defaults_to_allowing_everything(string environment, bool allowsEverything)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        builder.AddTenants();
        using var services = builder.Services.BuildServiceProvider();

        var fallback = services.GetRequiredService<IOptions<TenantsOptions>>().Value.Default;

        Assert.Equal(allowsEverything, fallback is not null);
        if (fallback is not null)
        {
            Assert.True(fallback.For("any").AllowsCluster("any-cluster"));
            Assert.True(fallback.For("any").AllowsNamespace("any-namespace"));
        }
    }

    [Fact]
    public async Task Without_a_default_a_tenant_without_a_policy_may_read_but_its_writes_are_403_until_a_platform_admin_sets_one()
    {
        var tenant = $"unset-{Guid.NewGuid().ToString("N")[..8]}";
        var ns = $"unset-{Guid.NewGuid().ToString("N")[..8]}";
        await using var process = await GatewayProcess.StartAsync(gateway.ConnectionString, GatewayFixture.AdminKey,
            GatewayProcess.WithoutTenantDefault, "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:DefaultCluster=sandbox",
            "--Gateway:Tenants:CacheFor=00:00:00");
        using var admin = new HttpClient { BaseAddress = new Uri(process.Url) };
        admin.DefaultRequestHeaders.Add("X-Api-Key", GatewayFixture.AdminKey);
        using var minted = await admin.PostAsJsonAsync("/v1/api-keys", new QuayGateway.Security.CreateApiKeyRequest("w", ["registries:write", "registries:read"], tenant));
        using var client = new HttpClient { BaseAddress = new Uri(process.Url) };
        client.DefaultRequestHeaders.Add("X-Api-Key", (await minted.ReadAsync<QuayGateway.Security.CreatedApiKeyResponse>()).Key);

        using var read = await client.GetAsync("/v1/registries");
        using var refused = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("r1", ns));
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("https://quaygateway.dev/problems/tenant-not-configured", (string?)(await refused.ReadObjectAsync())["type"]);

        using var put = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}", new TenantPolicyRequest(["sandbox"], [ns]), TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var accepted = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("r1", ns));
        Assert.Equal(HttpStatusCode.Accepted, accepted.StatusCode);
    }
}
