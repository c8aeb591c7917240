using System.Net;
using System.Net.Http.Headers;
using Npgsql;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>A full flow, logged at every level, must not leave an API key, a token, a password or a connection string in the logs.</summary>
[Collection(GatewayCollection.Name)]
public sealed class LogRedactionTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_create_and_list_flow_logs_no_secret()
    {
        const string password = "Sup3r-Secret-Quay-Passw0rd";
        const string bearer = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJsZWFrIn0.c2VjcmV0LXNpZ25hdHVyZS12YWx1ZQ";
        const string wrongKey = "qgw_wrong-key-that-must-not-be-logged-7c1d";
        var dbPassword = new NpgsqlConnectionStringBuilder(gateway.ConnectionString).Password;
        Assert.False(string.IsNullOrEmpty(dbPassword));

        string createdKey;
        using (gateway.Logs.Record())
        {
            createdKey = await gateway.CreateKeyAsync("logs", Scopes.RegistriesRead, Scopes.RegistriesWrite);
            var client = gateway.Client(createdKey);
            var request = CreateRegistry.Example with
            {
                Name = "log-check", Namespace = "log-check",
                InitialUser = CreateRegistry.Example.InitialUser! with { Password = password },
            };
            using (var created = await client.PostJsonAsync("/v1/registries", request, idempotencyKey: "log-check-1"))
            {
                Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
                using var get = await client.GetAsync(created.Headers.Location);
                Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            }

            using (var list = await client.GetAsync("/v1/registries?limit=5"))
            {
                Assert.Equal(HttpStatusCode.OK, list.StatusCode);
            }

            using (var refused = await gateway.Client(wrongKey).GetAsync("/v1/registries"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }

            var withBearer = gateway.Client(apiKey: null);
            withBearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
            using (var refused = await withBearer.GetAsync("/v1/registries"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            }

            // Let the apply job run and log too.
            await GatewayFixture.EventuallyAsync(() => gateway.WithDbAsync(db => Task.FromResult(
                db.Registries.Single(r => r.Name == "log-check").State)), s => s != RegistryState.Accepted);
        }

        var entries = gateway.Logs.Entries;
        Assert.True(entries.Count > 5, $"the capture saw only {entries.Count} entries; is the provider wired?");
        Assert.Contains(entries, e => e.Contains("log-check", StringComparison.Ordinal) || e.Contains("/v1/registries", StringComparison.Ordinal));
        foreach (var (secret, what) in new[]
                 {
                     (GatewayFixture.AdminKey, "the bootstrap API key"),
                     (createdKey, "a created API key"),
                     (createdKey[(createdKey.IndexOf('_', StringComparison.Ordinal) + 1)..], "a created API key's secret part"),
                     (wrongKey, "a refused API key"),
                     (bearer, "a bearer token"),
                     (password, "the initial user's password"),
                     (dbPassword, "the database password"),
                 })
        {
            var leak = entries.FirstOrDefault(e => e.Contains(secret, StringComparison.Ordinal));
            Assert.True(leak is null, $"{what} was logged: {leak}");
        }
    }
}
