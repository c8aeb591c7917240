using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tenants;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Api;

namespace QuayGateway.Tests.Tenants;

[Collection(GatewayCollection.Name)]
public sealed class TenantPolicyTests(GatewayFixture gateway)
{
    private const string Problem = "https://quaygateway.dev/problems/";

    private static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..8]}";

    private async Task PutPolicyAsync(string tenant, TenantPolicyRequest policy)
    {
        using var response = await gateway.Client().PutAsJsonAsync($"/v1/tenants/{tenant}", policy, TestJson.Options);
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
    }

    private static async Task<string?> TypeOf(HttpResponseMessage response) => (string?)(await response.ReadObjectAsync())["type"];

    [Fact]
    public async Task A_platform_admin_creates_replaces_reads_lists_and_deletes_a_policy()
    {
        var tenant = Unique("crud");
        var admin = gateway.Client();

        using var created = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}", TenantsApi.Example, TestJson.Options);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var first = await created.ReadAsync<TenantPolicyResponse>();
        Assert.Equal(["sandbox"], first.Clusters);
        Assert.Equal(["payments-*"], first.Namespaces);
        Assert.Equal(20, first.Quotas.Registries);
        Assert.Equal(100, first.RateLimit!.Burst);

        using var replaced = await admin.PutAsJsonAsync($"/v1/tenants/{tenant}", new TenantPolicyRequest(["*"], ["a", "b-*"]), TestJson.Options);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);

        var read = await (await admin.GetAsync($"/v1/tenants/{tenant}")).ReadAsync<TenantPolicyResponse>();
        Assert.Equal(["a", "b-*"], read.Namespaces);
        Assert.Null(read.Quotas.Registries);
        Assert.Null(read.RateLimit);
        var all = await (await admin.GetAsync("/v1/tenants")).ReadAsync<List<TenantPolicyResponse>>();
        Assert.Contains(all, p => p.Tenant == tenant);

        using var deleted = await admin.DeleteAsync($"/v1/tenants/{tenant}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var gone = await admin.GetAsync($"/v1/tenants/{tenant}");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task Concurrent_first_puts_of_one_policy_all_succeed_one_creating_it()
    {
        var tenant = Unique("put-race");

        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(async i =>
        {
            using var response = await gateway.Client().PutAsJsonAsync($"/v1/tenants/{tenant}", new TenantPolicyRequest(["*"], [$"ns-{i}"]), TestJson.Options);
            return response.StatusCode;
        }));

        Assert.Equal(1, answers.Count(s => s == HttpStatusCode.Created));
        Assert.Equal(5, answers.Count(s => s == HttpStatusCode.OK));
    }

    [Fact]
    public async Task A_policy_with_an_unknown_cluster_a_bad_pattern_or_a_negative_quota_is_400_naming_each_field()
    {
        using var response = await gateway.Client().PutAsJsonAsync("/v1/tenants/bad-policy",
            new TenantPolicyRequest(["no-such-cluster"], ["Payments_*"], new TenantQuotas { Registries = -1 }, new TenantRateLimit { RequestsPerSecond = 0, Burst = 0 }),
            TestJson.Options);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadObjectAsync())["errors"]!.AsObject();
        Assert.Contains("clusters", errors.Select(e => e.Key));
        Assert.Contains("namespaces", errors.Select(e => e.Key));
        Assert.Contains("quotas.registries", errors.Select(e => e.Key));
        Assert.Contains("rateLimit.requestsPerSecond", errors.Select(e => e.Key));
    }

    [Fact]
    public async Task Tenant_admins_and_writers_cannot_manage_policies()
    {
        var tenant = Unique("not-platform");
        var tenantAdmin = gateway.Client(await gateway.CreateKeyAsync(tenant, Scopes.Admin));

        using var put = await tenantAdmin.PutAsJsonAsync($"/v1/tenants/{tenant}", new TenantPolicyRequest(["*"], ["*"]), TestJson.Options);
        using var list = await tenantAdmin.GetAsync("/v1/tenants");

        Assert.Equal(HttpStatusCode.Forbidden, put.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Null(await gateway.WithDbAsync(db => db.TenantPolicies.AsNoTracking().SingleOrDefaultAsync(p => p.Tenant == tenant)));
    }

    [Fact]
    public async Task Creates_outside_the_policys_clusters_or_namespace_patterns_are_403_and_inside_are_accepted()
    {
        var tenant = Unique("placed");
        var prefix = Unique("pay");
        await PutPolicyAsync(tenant, new TenantPolicyRequest(["edge"], [$"{prefix}-*"]));
        var client = gateway.Client(await gateway.CreateKeyAsync(tenant, Scopes.RegistriesWrite, Scopes.RegistriesRead));

        using var wrongCluster = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("r1", $"{prefix}-one", "sandbox"));
        using var wrongNamespace = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("r1", "kube-system", "edge"));
        using var allowed = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("r1", $"{prefix}-one", "edge"));

        Assert.Equal(HttpStatusCode.Forbidden, wrongCluster.StatusCode);
        Assert.Equal(Problem + "cluster-not-allowed", await TypeOf(wrongCluster));
        Assert.Equal(HttpStatusCode.Forbidden, wrongNamespace.StatusCode);
        Assert.Equal(Problem + "namespace-not-allowed", await TypeOf(wrongNamespace));
        Assert.Equal(HttpStatusCode.Accepted, allowed.StatusCode);
        Assert.Equal(1, await gateway.WithDbAsync(db => db.Registries.CountAsync(r => r.Tenant == tenant)));
    }

    [Fact]
    public async Task A_patch_or_config_bundle_secret_of_a_registry_the_policy_no_longer_allows_is_403()
    {
        var tenant = Unique("narrowed");
        var ns = Unique("team");
        await PutPolicyAsync(tenant, new TenantPolicyRequest(["sandbox"], [ns]));
        var client = gateway.Client(await gateway.CreateKeyAsync(tenant, Scopes.RegistriesWrite, Scopes.RegistriesRead));
        using var created = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("r1", ns));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.ReadAsync<RegistryResponse>()).Id;

        await PutPolicyAsync(tenant, new TenantPolicyRequest(["sandbox"], ["elsewhere-*"]));
        using var patch = await client.PatchAsJsonAsync($"/v1/registries/{id}", new PatchRegistryRequest(ConfigBundleSecret: "my-bundle"), TestJson.Options);
        using var labels = await client.PatchAsJsonAsync($"/v1/registries/{id}", new PatchRegistryRequest(Labels: new Dictionary<string, string> { ["a"] = "b" }), TestJson.Options);

        Assert.Equal(HttpStatusCode.Forbidden, patch.StatusCode);
        Assert.Equal(Problem + "namespace-not-allowed", await TypeOf(patch));
        Assert.Equal(HttpStatusCode.Forbidden, labels.StatusCode);
        var stored = await gateway.WithDbAsync(db => db.Registries.AsNoTracking().SingleAsync(r => r.Id == id));
        Assert.Null(stored.Spec.ConfigBundleSecret);
    }

    [Fact]
    public async Task A_namespace_holding_another_tenants_registry_is_refused_whatever_the_patterns_and_reveals_nothing()
    {
        var (a, b) = (Unique("owner"), Unique("neighbour"));
        var ns = Unique("shared");
        await PutPolicyAsync(a, new TenantPolicyRequest(["*"], ["*"]));
        await PutPolicyAsync(b, new TenantPolicyRequest(["*"], ["*"]));
        var clientA = gateway.Client(await gateway.CreateKeyAsync(a, Scopes.RegistriesWrite));
        var clientB = gateway.Client(await gateway.CreateKeyAsync(b, Scopes.RegistriesWrite));
        using var first = await clientA.PostJsonAsync("/v1/registries", new CreateRegistryRequest("secret-project", ns));
        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        var idOfA = (await first.ReadAsync<RegistryResponse>()).Id.ToString();

        using var sameName = await clientB.PostJsonAsync("/v1/registries", new CreateRegistryRequest("secret-project", ns));
        using var otherName = await clientB.PostJsonAsync("/v1/registries", new CreateRegistryRequest("mine", ns));
        using var ownSecond = await clientA.PostJsonAsync("/v1/registries", new CreateRegistryRequest("second", ns));

        foreach (var refused in new[] { sameName, otherName })
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
            var body = await refused.Content.ReadAsStringAsync();
            Assert.Contains(Problem + "namespace-not-allowed", body, StringComparison.Ordinal);
            Assert.DoesNotContain(a, body, StringComparison.Ordinal);
            Assert.DoesNotContain(idOfA, body, StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.Accepted, ownSecond.StatusCode);
        Assert.Equal(0, await gateway.WithDbAsync(db => db.Registries.CountAsync(r => r.Tenant == b)));
    }

    [Fact]
    public async Task The_registries_quota_refuses_the_one_too_many_naming_quota_and_limit_and_deleted_ones_do_not_count()
    {
        var tenant = Unique("quota");
        var ns = Unique("quota");
        await PutPolicyAsync(tenant, new TenantPolicyRequest(["*"], ["*"], new TenantQuotas { Registries = 2 }));
        var client = gateway.Client(await gateway.CreateKeyAsync(tenant, Scopes.RegistriesWrite, Scopes.RegistriesRead));
        using var one = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("one", ns));
        using var two = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("two", ns));
        Assert.Equal(HttpStatusCode.Accepted, one.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, two.StatusCode);

        using var three = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("three", ns));

        Assert.Equal(HttpStatusCode.Forbidden, three.StatusCode);
        var problem = await three.ReadObjectAsync();
        Assert.Equal(Problem + "quota-exceeded", (string?)problem["type"]);
        Assert.Equal("registries", (string?)problem["quota"]);
        Assert.Equal(2, (int?)problem["limit"]);

        var id = (await one.ReadAsync<RegistryResponse>()).Id;
        await GatewayFixture.EventuallyAsync(async () => (await client.DeleteAsync($"/v1/registries/{id}")).StatusCode,
            s => s == HttpStatusCode.Accepted, TimeSpan.FromSeconds(30));
        var state = await GatewayFixture.EventuallyAsync(
            () => gateway.WithDbAsync(db => db.Registries.AsNoTracking().Where(r => r.Id == id).Select(r => r.State).SingleAsync()),
            s => s == RegistryState.Deleted, TimeSpan.FromSeconds(40));
        Assert.Equal(RegistryState.Deleted, state);
        using var again = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("three", ns));
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
    }

    [Fact]
    public async Task Concurrent_creates_never_exceed_the_registries_quota()
    {
        var tenant = Unique("race");
        var ns = Unique("race");
        await PutPolicyAsync(tenant, new TenantPolicyRequest(["*"], ["*"], new TenantQuotas { Registries = 3 }));
        var key = await gateway.CreateKeyAsync(tenant, Scopes.RegistriesWrite);

        var answers = await Task.WhenAll(Enumerable.Range(0, 12).Select(async i =>
        {
            using var response = await gateway.Client(key).PostJsonAsync("/v1/registries", new CreateRegistryRequest($"r{i}", ns));
            return response.StatusCode;
        }));

        Assert.Equal(3, answers.Count(s => s == HttpStatusCode.Accepted));
        Assert.Equal(9, answers.Count(s => s == HttpStatusCode.Forbidden));
        Assert.Equal(3, await gateway.WithDbAsync(db => db.Registries.CountAsync(r => r.Tenant == tenant)));
    }

    [Fact]
    public async Task Concurrent_first_creates_of_two_tenants_in_one_namespace_leave_it_to_one_tenant()
    {
        var (a, b) = (Unique("claim-a"), Unique("claim-b"));
        var ns = Unique("claimed");
        var keys = new[] { await gateway.CreateKeyAsync(a, Scopes.RegistriesWrite), await gateway.CreateKeyAsync(b, Scopes.RegistriesWrite) };

        await Task.WhenAll(Enumerable.Range(0, 10).Select(async i =>
        {
            using var response = await gateway.Client(keys[i % 2]).PostJsonAsync("/v1/registries", new CreateRegistryRequest($"r{i}", ns));
            Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Accepted, HttpStatusCode.Forbidden });
        }));

        var owners = await gateway.WithDbAsync(db => db.Registries.Where(r => r.Namespace == ns).Select(r => r.Tenant).Distinct().ToListAsync());
        Assert.Single(owners);
    }

    [Fact]
    public async Task The_webhooks_quota_refuses_the_one_too_many()
    {
        var tenant = Unique("hooks");
        await PutPolicyAsync(tenant, new TenantPolicyRequest(["*"], ["*"], new TenantQuotas { Webhooks = 1 }));
        var client = gateway.Client(await gateway.CreateKeyAsync(tenant, Scopes.WebhooksAdmin));

        using var first = await client.PostJsonAsync("/v1/webhooks", new CreateWebhookRequest("http://127.0.0.1:9/first", ["registry.ready"]));
        using var second = await client.PostJsonAsync("/v1/webhooks", new CreateWebhookRequest("http://127.0.0.1:9/second", ["registry.ready"]));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, second.StatusCode);
        var problem = await second.ReadObjectAsync();
        Assert.Equal(Problem + "quota-exceeded", (string?)problem["type"]);
        Assert.Equal("webhooks", (string?)problem["quota"]);
        Assert.Equal(1, (int?)problem["limit"]);
    }

    [Fact]
    public async Task Deleting_the_policy_of_a_tenant_with_live_registries_is_409()
    {
        var tenant = Unique("busy");
        await PutPolicyAsync(tenant, new TenantPolicyRequest(["*"], ["*"]));
        var client = gateway.Client(await gateway.CreateKeyAsync(tenant, Scopes.RegistriesWrite));
        using var created = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("r1", Unique("busy")));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);

        using var refused = await gateway.Client().DeleteAsync($"/v1/tenants/{tenant}");

        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Equal(Problem + "tenant-has-registries", await TypeOf(refused));
        Assert.NotNull(await gateway.WithDbAsync(db => db.TenantPolicies.AsNoTracking().SingleOrDefaultAsync(p => p.Tenant == tenant)));
    }

    [Fact]
    public async Task A_tenant_without_a_policy_gets_the_configured_default()
    {
        // The test host's default allows everything (Gateway:Tenants:Default); the service says so for any tenant.
        var policy = await gateway.Host.Services.GetRequiredService<TenantPolicies>().ForTenantAsync(Unique("nobody"), CancellationToken.None);

        Assert.NotNull(policy);
        Assert.True(policy.AllowsCluster("edge"));
        Assert.True(policy.AllowsNamespace("anything"));
    }
}
