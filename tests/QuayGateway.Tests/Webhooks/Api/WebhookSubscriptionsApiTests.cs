using System.Net;
using System.Net.Http.Json;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Api;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Webhooks.Api;

[Collection(GatewayCollection.Name)]
public sealed class WebhookSubscriptionsApiTests(GatewayFixture gateway)
{
    private const string Url = "http://127.0.0.1:9/hook";

    [Fact]
    public async Task Create_answers_201_with_location_and_a_whsec_secret_shown_once()
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        using var response = await kit.Client.PostJsonAsync("/v1/webhooks",
            new CreateWebhookRequest(Url, [WebhookEventTypes.RegistryAccepted, WebhookEventTypes.RegistryReady]));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var created = await response.ReadAsync<CreatedWebhookResponse>();
        Assert.Equal($"/v1/webhooks/{created.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal(WebhookKinds.Standard, created.Kind);
        Assert.StartsWith("whsec_", created.Secret, StringComparison.Ordinal);
        Assert.Equal(32, Convert.FromBase64String(created.Secret[6..]).Length);

        var fetched = await kit.Client.GetStringAsync($"/v1/webhooks/{created.Id}");
        var listed = await kit.Client.GetStringAsync("/v1/webhooks");
        Assert.DoesNotContain(created.Secret[6..], fetched, StringComparison.Ordinal);
        Assert.DoesNotContain(created.Secret[6..], listed, StringComparison.Ordinal);
        Assert.Contains(created.Id.ToString(), listed, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Secrets_and_credentials_are_stored_encrypted()
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        var created = await kit.SubscribeAsync(Url, kind: WebhookKinds.Jira, auth: new WebhookAuth(Token: "jira-token-5e1f0c"));

        var row = await gateway.WithDbAsync(db => db.Database
            .SqlQuery<string>($"SELECT row_to_json(s)::text AS \"Value\" FROM gateway.webhook_subscriptions s WHERE id = {created.Id}").SingleAsync());
        Assert.DoesNotContain(created.Secret[6..], row, StringComparison.Ordinal);
        Assert.DoesNotContain("jira-token-5e1f0c", row, StringComparison.Ordinal);
        Assert.Contains("protected_secret", row, StringComparison.Ordinal);

        var fetched = await kit.Client.GetStringAsync($"/v1/webhooks/{created.Id}");
        Assert.DoesNotContain("jira-token-5e1f0c", fetched, StringComparison.Ordinal);
        Assert.Contains("\"type\":\"token\"", fetched, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_bodies_are_validation_problems_per_field()
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        using var response = await kit.Client.PostJsonAsync("/v1/webhooks",
            new CreateWebhookRequest("ftp://example.com/x", ["registry.exploded"], "pager"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadObjectAsync();
        Assert.Equal("https://quaygateway.dev/problems/validation-failed", (string?)problem["type"]);
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("url"));
        Assert.True(errors.ContainsKey("events"));
        Assert.True(errors.ContainsKey("kind"));
    }

    [Theory]
    [InlineData("jira", null, null, null, null)]
    [InlineData("jira", null, "user", "pass", null)]
    [InlineData("servicenow", null, null, null, null)]
    [InlineData("servicenow", null, "user", null, null)]
    [InlineData("servicenow", null, "user", "pass", "bearer")]
    [InlineData("standard", "token", null, null, null)]
    public async Task Each_kind_takes_only_its_own_credentials(string kind, string? token, string? user, string? password, string? bearer)
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        var auth = token is null && user is null && password is null && bearer is null ? null : new WebhookAuth(token, user, password, bearer);
        using var response = await kit.Client.PostJsonAsync("/v1/webhooks",
            new CreateWebhookRequest(Url, [WebhookEventTypes.RegistryReady], kind, auth));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadObjectAsync())["errors"]!.AsObject().ContainsKey("auth"));
    }

    [Theory]
    [InlineData("http://10.0.0.5/hook")]
    [InlineData("http://169.254.169.254/latest/meta-data/")]
    [InlineData("http://[::1]:8080/hook")]
    [InlineData("http://192.168.10.20/hook")]
    [InlineData("http://172.20.0.1/hook")]
    public async Task Internal_destinations_are_refused_at_subscription_time(string url)
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        using var response = await kit.Client.PostJsonAsync("/v1/webhooks", new CreateWebhookRequest(url, [WebhookEventTypes.RegistryReady]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("https://quaygateway.dev/problems/webhook-destination-refused", (string?)(await response.ReadObjectAsync())["type"]);
    }

    [Fact]
    public async Task Patch_changes_the_given_fields_and_refuses_internal_urls()
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        var created = await kit.SubscribeAsync(Url, [WebhookEventTypes.RegistryAccepted]);

        using var patched = await kit.Client.PatchAsJsonAsync($"/v1/webhooks/{created.Id}",
            new UpdateWebhookRequest(Events: [WebhookEventTypes.RegistryFailed, WebhookEventTypes.RegistryReady], Enabled: false), TestJson.Options);
        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        var body = await patched.ReadAsync<WebhookResponse>();
        Assert.Equal([WebhookEventTypes.RegistryFailed, WebhookEventTypes.RegistryReady], body.Events);
        Assert.False(body.Enabled);
        Assert.Equal(Url, body.Url);

        using var refused = await kit.Client.PatchAsJsonAsync($"/v1/webhooks/{created.Id}", new UpdateWebhookRequest(Url: "http://10.1.1.1/x"), TestJson.Options);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        Assert.Equal(Url, (await kit.Client.GetFromJsonAsync<WebhookResponse>($"/v1/webhooks/{created.Id}", TestJson.Options))!.Url);
    }

    [Fact]
    public async Task A_url_on_another_host_needs_the_credentials_again()
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        using var create = await kit.Client.PostJsonAsync("/v1/webhooks",
            new CreateWebhookRequest(Url, [WebhookEventTypes.RegistryReady], Auth: new WebhookAuth(BearerToken: "receiver-token-1")));
        var created = await create.ReadAsync<CreatedWebhookResponse>();
        var path = $"/v1/webhooks/{created.Id}";

        using var moved = await kit.Client.PatchAsJsonAsync(path, new UpdateWebhookRequest(Url: "http://127.0.0.2:9/hook"), TestJson.Options);
        using var otherPort = await kit.Client.PatchAsJsonAsync(path, new UpdateWebhookRequest(Url: "http://127.0.0.1:10/hook"), TestJson.Options);
        using var samePlace = await kit.Client.PatchAsJsonAsync(path, new UpdateWebhookRequest(Url: "http://127.0.0.1:9/other-path"), TestJson.Options);
        using var withAuth = await kit.Client.PatchAsJsonAsync(path,
            new UpdateWebhookRequest(Url: "http://127.0.0.2:9/hook", Auth: new WebhookAuth(BearerToken: "receiver-token-2")), TestJson.Options);

        foreach (var refused in new[] { moved, otherPort })
        {
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            var problem = await refused.ReadObjectAsync();
            Assert.Equal("https://quaygateway.dev/problems/validation-failed", (string?)problem["type"]);
            Assert.Contains("credentials", (string?)problem["errors"]!["auth"]![0], StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.OK, samePlace.StatusCode);
        Assert.Equal(HttpStatusCode.OK, withAuth.StatusCode);
        Assert.Equal("http://127.0.0.2:9/hook", (await withAuth.ReadAsync<WebhookResponse>()).Url);
    }

    [Fact]
    public async Task Delete_removes_the_webhook()
    {
        var kit = await WebhookTestKit.StartAsync(gateway);
        var created = await kit.SubscribeAsync(Url);

        using var deleted = await kit.Client.DeleteAsync($"/v1/webhooks/{created.Id}");
        using var after = await kit.Client.GetAsync($"/v1/webhooks/{created.Id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, after.StatusCode);
    }

    [Fact]
    public async Task Another_tenants_webhook_is_404_for_every_operation_and_missing_from_the_list()
    {
        var owner = await WebhookTestKit.StartAsync(gateway);
        var other = await WebhookTestKit.StartAsync(gateway);
        var created = await owner.SubscribeAsync(Url);
        var path = $"/v1/webhooks/{created.Id}";

        using var get = await other.Client.GetAsync(path);
        using var patch = await other.Client.PatchAsJsonAsync(path, new UpdateWebhookRequest(Enabled: false), TestJson.Options);
        using var rotate = await other.Client.PostAsync($"{path}/rotate-secret", null);
        using var deliveries = await other.Client.GetAsync($"{path}/deliveries");
        using var ping = await other.Client.PostAsync($"{path}/ping", null);
        using var delete = await other.Client.DeleteAsync(path);
        var list = await other.Client.GetStringAsync("/v1/webhooks");

        Assert.All([get, patch, rotate, deliveries, ping, delete], r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.DoesNotContain(created.Id.ToString(), list, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await owner.Client.GetAsync(path)).StatusCode);
        Assert.True((await owner.Client.GetFromJsonAsync<WebhookResponse>(path, TestJson.Options))!.Enabled);
    }

    [Fact]
    public async Task The_webhooks_admin_scope_is_required()
    {
        var reader = gateway.Client(await gateway.CreateKeyAsync("wh-scope-" + Guid.NewGuid().ToString("N")[..8], Scopes.RegistriesRead, Scopes.RegistriesWrite));

        using var list = await reader.GetAsync("/v1/webhooks");
        using var create = await reader.PostJsonAsync("/v1/webhooks", new CreateWebhookRequest(Url, [WebhookEventTypes.RegistryReady]));

        Assert.Equal(HttpStatusCode.Forbidden, list.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, create.StatusCode);
    }
}
