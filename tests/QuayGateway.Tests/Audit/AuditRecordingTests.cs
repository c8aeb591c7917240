using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Audit;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Api;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Audit;

/// <summary>Every write to the API, and every refusal of one, leaves an entry with who, what, on which resource and how it ended.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AuditRecordingTests(GatewayFixture gateway)
{
    private const string HookUrl = "http://127.0.0.1:9/hook";
    private readonly AuditKit _kit = new(gateway);

    [Fact]
    public async Task A_create_records_the_actor_tenant_operation_and_the_created_resource()
    {
        var tenant = AuditKit.NewTenant("audit-create");
        var key = await _kit.StoreKeyAsync(tenant, Scopes.RegistriesWrite);

        using var response = await gateway.Client(key).PostJsonAsync("/v1/registries", new CreateRegistryRequest("audited", "audit-" + tenant[^8..]));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var location = response.Headers.Location!.OriginalString;
        var entry = await _kit.SingleAsync(e => e.Tenant == tenant);
        Assert.Equal(AuditKit.KeyId(key), entry.Actor);
        Assert.Equal("CreateRegistry", entry.Action);
        Assert.Equal(location, entry.Target);
        Assert.Equal(AuditOutcomes.Succeeded, entry.Outcome);
        Assert.Equal(202, entry.Status);
        Assert.Equal(1, entry.Count);
        Assert.False(string.IsNullOrEmpty(entry.RequestId));
        Assert.InRange(entry.At, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddSeconds(1));
    }

    [Fact]
    public async Task A_patch_and_a_delete_are_recorded_with_their_path_and_status()
    {
        var tenant = AuditKit.NewTenant("audit-change");
        var client = gateway.Client(await _kit.StoreKeyAsync(tenant, Scopes.WebhooksAdmin));
        using var created = await client.PostJsonAsync("/v1/webhooks", new CreateWebhookRequest(HookUrl, [WebhookEventTypes.RegistryReady]));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var path = created.Headers.Location!.OriginalString;

        using var patched = await client.PatchAsJsonAsync(path, new UpdateWebhookRequest(Enabled: false), TestJson.Options);
        using var deleted = await client.DeleteAsync(path);
        using var deletedAgain = await client.DeleteAsync(path);

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, deletedAgain.StatusCode);
        var entries = await _kit.EntriesAsync(e => e.Tenant == tenant, count: 4);
        Assert.Equal(
            [("CreateWebhook", 201, AuditOutcomes.Succeeded), ("UpdateWebhook", 200, AuditOutcomes.Succeeded),
             ("DeleteWebhook", 204, AuditOutcomes.Succeeded), ("DeleteWebhook", 404, AuditOutcomes.Failed)],
            entries.Select(e => (e.Action, e.Status, e.Outcome)).ToList());
        Assert.All(entries, e => Assert.Equal(path, e.Target));
        Assert.Equal(4, entries.Select(e => e.RequestId).Distinct().Count());
    }

    [Fact]
    public async Task A_write_without_a_key_is_recorded_as_refused_by_anonymous()
    {
        var path = $"/v1/registries/{Guid.NewGuid()}";

        using var response = await gateway.Client(apiKey: null).DeleteAsync(path);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        var traceId = (string?)(await response.ReadObjectAsync())["traceId"];
        var entry = await _kit.SingleAsync(e => e.Target == path);
        Assert.Equal((AuditMiddleware.Anonymous, (string?)null, "DeleteRegistry", AuditOutcomes.Refused, 401, traceId),
            (entry.Actor, entry.Tenant, entry.Action, entry.Outcome, entry.Status, (string?)entry.RequestId));
    }

    [Fact]
    public async Task A_write_without_the_scope_is_recorded_as_refused_with_the_caller()
    {
        var tenant = AuditKit.NewTenant("audit-403");
        var key = await _kit.StoreKeyAsync(tenant, Scopes.RegistriesRead);

        using var response = await gateway.Client(key).PostJsonAsync("/v1/registries", new CreateRegistryRequest("refused", "nowhere"));
        using var read = await gateway.Client(key).GetAsync("/v1/registries");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var traceId = (string?)(await response.ReadObjectAsync())["traceId"];
        var entry = await _kit.SingleAsync(e => e.Tenant == tenant);
        Assert.Equal((AuditKit.KeyId(key), "CreateRegistry", "/v1/registries", AuditOutcomes.Refused, 403, traceId),
            (entry.Actor, entry.Action, entry.Target, entry.Outcome, entry.Status, (string?)entry.RequestId));
    }

    [Fact]
    public async Task No_token_key_or_password_reaches_the_audit_table()
    {
        var tenant = AuditKit.NewTenant("audit-secret");
        var admin = gateway.Client(await _kit.StoreKeyAsync(tenant, Scopes.Admin));
        var token = "jira-token-" + Guid.NewGuid().ToString("N");
        using var hook = await admin.PostJsonAsync("/v1/webhooks", new CreateWebhookRequest(HookUrl, [WebhookEventTypes.RegistryReady], WebhookKinds.Jira, new WebhookAuth(token)));
        Assert.Equal(HttpStatusCode.Created, hook.StatusCode);
        var signingSecret = (await hook.ReadAsync<CreatedWebhookResponse>()).Secret;
        using var keyResponse = await admin.PostAsJsonAsync("/v1/api-keys", new CreateApiKeyRequest("audited", [Scopes.RegistriesRead], tenant));
        Assert.Equal(HttpStatusCode.Created, keyResponse.StatusCode);
        var newKey = (await keyResponse.ReadAsync<CreatedApiKeyResponse>()).Key;
        var password = "Pa55-" + Guid.NewGuid().ToString("N");
        using var registry = await admin.PostJsonAsync("/v1/registries", new CreateRegistryRequest("secretive", "audit-" + tenant[^8..],
            ConfigBundle: new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n" },
            InitialUser: new InitialUserRequest("quayadmin", "quayadmin@example.com", password)));
        Assert.Equal(HttpStatusCode.Accepted, registry.StatusCode);

        var entries = await _kit.EntriesAsync(e => e.Tenant == tenant, count: 3);

        Assert.Equal(["CreateWebhook", "CreateApiKey", "CreateRegistry"], entries.Select(e => e.Action));
        // The whole table as text, every row and column: the grep finds what is there (the key's id), and no secret.
        Assert.True(await MatchesAsync(AuditKit.KeyId(newKey)) > 0);
        foreach (var secret in new[] { token, signingSecret, newKey, newKey.Split('_', 3)[2], password, AuditKit.KeyId(newKey) + "_" })
        {
            Assert.Equal(0, await MatchesAsync(secret));
        }
    }

    private Task<int> MatchesAsync(string text) => gateway.WithDbAsync(db => db.Database
        .SqlQuery<int>($"SELECT count(*)::int AS \"Value\" FROM gateway.audit_entries a WHERE strpos(a::text, {text}) > 0").SingleAsync());
}
