using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayGateway.DevServices;
using QuayGateway.Hosting;
using QuayGateway.Security;
using QuayGateway.Tenants;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Security;

/// <summary>
/// Rate limits per tenant and per anonymous address, on a gateway process of its own with small limits: one tenant
/// at its limit gets 429 problems with Retry-After while another tenant is served, and probes are never limited.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RateLimitTests(GatewayFixture fixture)
{
    private const string AdminKey = "qgw-rate-limit-test-admin-key";
    private const int Burst = 6;

    [Fact]
    public async Task A_tenant_over_its_limit_gets_429_with_retry_after_while_others_are_served()
    {
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        await using var gateway = await GatewayProcess.StartAsync(postgres.ConnectionString, AdminKey,
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false",
            "--Gateway:RateLimit:Tenant:RequestsPerSecond=0.2", $"--Gateway:RateLimit:Tenant:Burst={Burst}",
            "--Gateway:RateLimit:Anonymous:RequestsPerSecond=0.2", "--Gateway:RateLimit:Anonymous:Burst=3");
        using var admin = Client(gateway, AdminKey);
        using var busy = Client(gateway, await CreateKeyAsync(admin, "busy"));
        using var quiet = Client(gateway, await CreateKeyAsync(admin, "quiet"));
        // The admin's own tenant gets a policy with room, so reading the audit log below is not limited.
        using (var roomy = await admin.PutAsJsonAsync("/v1/tenants/default",
                   new TenantPolicyRequest(["*"], ["*"], RateLimit: new TenantRateLimit { RequestsPerSecond = 1000, Burst = 1000 }), TestJson.Options))
        {
            Assert.True(roomy.IsSuccessStatusCode, await roomy.Content.ReadAsStringAsync());
        }

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < Burst + 2; i++)
        {
            using var response = await busy.GetAsync("/v1/registries");
            statuses.Add(response.StatusCode);
        }

        // The burst is served, then the tenant is refused; a token comes back every 5 s, so none did meanwhile.
        Assert.All(statuses.Take(Burst), s => Assert.Equal(HttpStatusCode.OK, s));
        Assert.All(statuses.Skip(Burst), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));

        using var refused = await busy.GetAsync("/v1/registries");
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(ProblemTypes.RateLimited, (string?)JsonNode.Parse(await refused.Content.ReadAsStringAsync())!["type"]);
        var retryAfter = refused.Headers.RetryAfter?.Delta;
        Assert.True(retryAfter is { TotalSeconds: >= 1 and <= 5 }, $"Retry-After: {refused.Headers.RetryAfter}");

        // Another tenant has a bucket of its own.
        using (var other = await quiet.GetAsync("/v1/registries"))
        {
            Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        }

        // Refused writes reach the audit log as one summary per actor and minute, with a count.
        for (var i = 0; i < 3; i++)
        {
            using var write = await busy.PostAsJsonAsync("/v1/registries", new { name = "registry", @namespace = "busy" });
            Assert.Equal(HttpStatusCode.TooManyRequests, write.StatusCode);
        }

        var summary = await GatewayFixture.EventuallyAsync(
            async () => JsonNode.Parse(await admin.GetStringAsync("/v1/audit?outcome=rate-limited"))!["items"]!.AsArray()
                .FirstOrDefault(e => (string?)e!["tenant"] == "busy"),
            e => e is not null && (int)e["count"]! >= 3, TimeSpan.FromSeconds(30));
        Assert.True(summary is not null && (int)summary["count"]! >= 3, summary?.ToJsonString() ?? "no summary");
        Assert.Equal(429, (int)summary!["status"]!);

        // After the wait it names, the tenant is served again.
        await Task.Delay(TimeSpan.FromSeconds(5.5));
        using (var again = await busy.GetAsync("/v1/registries"))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }
    }

    [Fact]
    public async Task Anonymous_callers_are_limited_by_address_and_probes_never()
    {
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        await using var gateway = await GatewayProcess.StartAsync(postgres.ConnectionString, AdminKey,
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false",
            "--Gateway:RateLimit:Anonymous:RequestsPerSecond=0.2", "--Gateway:RateLimit:Anonymous:Burst=3");
        using var anonymous = new HttpClient { BaseAddress = new Uri(gateway.Url) };
        using var wrongKey = Client(gateway, "qgw_not_a_key");

        var statuses = new List<HttpStatusCode>();
        foreach (var client in new[] { anonymous, wrongKey, anonymous, wrongKey, anonymous })
        {
            using var response = await client.GetAsync("/v1/registries");
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized,
            HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests], statuses);

        for (var i = 0; i < 10; i++)
        {
            using var health = await anonymous.GetAsync("/healthz");
            using var ready = await anonymous.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        // A caller with a valid key is not counted with the address it shares.
        using var admin = Client(gateway, AdminKey);
        using var served = await admin.GetAsync("/v1/registries");
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task A_tenant_policy_sets_its_tenants_rate_and_burst()
    {
        var tenant = "rl-" + Guid.NewGuid().ToString("N")[..10];
        using (var put = await fixture.Client().PutAsJsonAsync($"/v1/tenants/{tenant}",
                   new TenantPolicyRequest(["*"], ["*"], RateLimit: new TenantRateLimit { RequestsPerSecond = 1, Burst = 3 }), TestJson.Options))
        {
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        using var limited = fixture.Client(await fixture.CreateKeyAsync(tenant, Scopes.RegistriesRead));
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await limited.GetAsync("/v1/registries");
            statuses.Add(response.StatusCode);
        }

        // The fixture's default is far above this: only the policy can refuse the fourth request within a second.
        Assert.Equal(HttpStatusCode.OK, statuses[0]);
        Assert.Contains(HttpStatusCode.TooManyRequests, statuses);
        Assert.True(statuses.Count(s => s == HttpStatusCode.OK) <= 4, string.Join(", ", statuses));
    }

    [Theory]
    [InlineData(50, 100, 100, 5)]
    [InlineData(10, 10, 100, 1)]
    [InlineData(0.5, 3, 2000, 1)]
    public void The_bucket_refills_at_the_configured_rate(double perSecond, int burst, int periodMs, int tokens)
    {
        var bucket = RateLimiting.Bucket(new RateLimit(perSecond, burst));
        Assert.Equal(burst, bucket.TokenLimit);
        Assert.Equal(TimeSpan.FromMilliseconds(periodMs), bucket.ReplenishmentPeriod);
        Assert.Equal(tokens, bucket.TokensPerPeriod);
        Assert.Equal(0, bucket.QueueLimit);
    }

    private static HttpClient Client(GatewayProcess gateway, string key)
    {
        var client = new HttpClient { BaseAddress = new Uri(gateway.Url) };
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    private static async Task<string> CreateKeyAsync(HttpClient admin, string tenant)
    {
        using var response = await admin.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest(tenant, [Scopes.RegistriesRead], tenant));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!.Key;
    }
}
