using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Security;

[Collection(GatewayCollection.Name)]
public sealed class AuthTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData("GET", "/v1/registries")]
    [InlineData("POST", "/v1/registries")]
    [InlineData("GET", "/v1/api-keys")]
    [InlineData("GET", "/hangfire")]
    [InlineData("GET", "/no-such-path")]
    public async Task Without_a_key_everything_protected_is_401_problem(string method, string path)
    {
        using var response = await gateway.Client(apiKey: null).SendAsync(new HttpRequestMessage(new HttpMethod(method), path));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("https://quaygateway.dev/problems/unauthorized", (string?)(await response.ReadObjectAsync())["type"]);
    }

    [Theory]
    [InlineData("qgw_000000000000_notarealsecret")]
    [InlineData("garbage")]
    public async Task An_unknown_key_is_401(string key)
    {
        using var response = await gateway.Client(key).GetAsync("/v1/registries");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Theory]
    [InlineData("/healthz")]
    [InlineData("/readyz")]
    [InlineData("/swagger/index.html")]
    [InlineData("/swagger/v1/swagger.json")]
    public async Task Health_and_api_docs_are_public(string path)
    {
        using var response = await gateway.Client(apiKey: null).GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readiness_reports_database_and_migrations()
    {
        var body = await gateway.Client(apiKey: null).GetStringAsync("/readyz");
        Assert.Equal("Healthy", body);
    }

    [Fact]
    public async Task A_key_without_the_needed_scope_is_403_problem()
    {
        var reader = gateway.Client(await gateway.CreateKeyAsync("scoped", Scopes.RegistriesRead));

        using var list = await reader.GetAsync("/v1/registries");
        using var create = await reader.PostJsonAsync("/v1/registries", new CreateRegistryRequest("nope", "ns"));
        using var keys = await reader.GetAsync("/v1/api-keys");
        using var dashboard = await reader.GetAsync("/hangfire");

        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
        Assert.Equal("https://quaygateway.dev/problems/forbidden", (string?)(await create.ReadObjectAsync())["type"]);
        Assert.Equal(HttpStatusCode.Forbidden, keys.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, dashboard.StatusCode);
    }

    [Fact]
    public async Task The_dashboard_answers_admins()
    {
        using var response = await gateway.Client().GetAsync("/hangfire");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("Hangfire", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_are_shown_once_stored_hashed_listed_without_secret_and_revocable()
    {
        using var created = await gateway.Client().PostAsJsonAsync("/v1/api-keys",
            new CreateApiKeyRequest("portal", [Scopes.RegistriesRead], "lifecycle"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.ReadAsync<CreatedApiKeyResponse>();
        Assert.StartsWith("qgw_", key.Key, StringComparison.Ordinal);

        var stored = await gateway.WithDbAsync(db => db.ApiKeys.AsNoTracking().SingleAsync(k => k.Id == key.Id));
        Assert.Equal(32, stored.SecretHash.Length);
        var listed = await gateway.Client().GetStringAsync("/v1/api-keys?tenant=lifecycle");
        Assert.Contains(key.Id, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(key.Key.Split('_', 3)[2], listed, StringComparison.Ordinal);

        using (var works = await gateway.Client(key.Key).GetAsync("/v1/registries"))
        {
            Assert.Equal(HttpStatusCode.OK, works.StatusCode);
        }

        using var deleted = await gateway.Client().DeleteAsync($"/v1/api-keys/{key.Id}");
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        using var refused = await gateway.Client(key.Key).GetAsync("/v1/registries");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        using var again = await gateway.Client().DeleteAsync($"/v1/api-keys/{key.Id}");
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
    }

    [Fact]
    public async Task A_tampered_secret_with_a_real_id_is_401()
    {
        var key = await gateway.CreateKeyAsync("tamper", Scopes.RegistriesRead);
        var parts = key.Split('_', 3); // the secret is base64url and may hold '_' itself
        using var response = await gateway.Client($"qgw_{parts[1]}_{new string('A', parts[2].Length)}").GetAsync("/v1/registries");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task Creating_a_key_validates_scopes_and_tenant()
    {
        using var response = await gateway.Client().PostAsJsonAsync("/v1/api-keys",
            new CreateApiKeyRequest("x", ["registries:everything"], "Not_A_Tenant"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.ReadObjectAsync())["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("scopes"));
        Assert.True(errors.ContainsKey("tenant"));
    }
}
