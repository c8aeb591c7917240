using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Quay;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Quay;

/// <summary>Users and organizations read and created with the stored token, and what happens without a usable one.</summary>
[Collection(GatewayCollection.Name)]
public sealed class QuayTokenCallsTests(GatewayFixture gateway)
{
    private readonly QuayScenario _quay = new(gateway);

    private async Task<RegistryResponse> InitializedAsync(string prefix)
    {
        var registry = await _quay.AvailableAsync(prefix);
        using var response = await _quay.InitializeAsync(registry.Id);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return registry;
    }

    [Fact]
    public async Task Organizations_are_created_and_read_back_as_Quay_shows_them()
    {
        var registry = await InitializedAsync("qorg");

        using var created = await _quay.Client.PostAsJsonAsync($"/v1/registries/{registry.Id}/quay/organizations",
            new OrganizationSpec("testorg", "testorg@example.com"));
        var view = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{registry.Id}/quay/organizations/testorg");

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal($"/v1/registries/{registry.Id}/quay/organizations/testorg", created.Headers.Location?.OriginalString);
        var (_, direct) = await _quay.CallQuayDirectlyAsync(registry, HttpMethod.Get, "/api/v1/organization/testorg");
        Assert.Equal("testorg", view["name"]!.GetValue<string>());
        Assert.True(view["is_admin"]!.GetValue<bool>());
        Assert.Equal("testorg@example.com", view["email"]!.GetValue<string>()); // only an admin sees it: the token is the owner's
        Assert.Equal(64, view["avatar"]!["hash"]!.GetValue<string>().Length);
        // Without the token, Quay shows the non-member view.
        Assert.Equal(("", false), (direct!["email"]!.GetValue<string>(), direct["is_admin"]!.GetValue<bool>()));
        Assert.Contains("quay.organization_created", await _quay.WebhookEventTypesAsync(registry.Id));
        var payload = await gateway.WithDbAsync(db => db.WebhookEvents.Where(e => e.RegistryId == registry.Id && e.Type == "quay.organization_created")
            .Select(e => e.Payload).SingleAsync());
        Assert.Equal("testorg", JsonNode.Parse(payload)!["data"]!["details"]!["organization"]!.GetValue<string>());
        Assert.Contains(await _quay.TimelineAsync(registry.Id), e => e is { Type: TimelineEntryType.QuayOrganizationCreated } && e.Message!.Contains("testorg", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Creating_an_organization_that_exists_says_so_with_the_email_Quay_keeps()
    {
        var registry = await InitializedAsync("qorgagain");
        var url = $"/v1/registries/{registry.Id}/quay/organizations";

        using var first = await _quay.Client.PostAsJsonAsync(url, new OrganizationSpec("sameorg", "sameorg@example.com"));
        using var again = await _quay.Client.PostAsJsonAsync(url, new OrganizationSpec("sameorg", "SameOrg@example.com"));
        using var noEmail = await _quay.Client.PostAsJsonAsync(url, new OrganizationSpec("sameorg", null));
        using var other = await _quay.Client.PostAsJsonAsync(url, new OrganizationSpec("sameorg", "someone-else@example.com"));

        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (again.StatusCode, noEmail.StatusCode));
        Assert.Equal("sameorg@example.com", (await again.ReadObjectAsync())["email"]!.GetValue<string>());
        Assert.Equal("sameorg@example.com", (await noEmail.ReadObjectAsync())["email"]!.GetValue<string>());
        await QuayScenario.AssertProblemAsync(other, HttpStatusCode.Conflict, "quay-organization-exists");
        var body = await other.Content.ReadAsStringAsync();
        Assert.Equal("sameorg@example.com", JsonNode.Parse(body)!["email"]!.GetValue<string>());
        Assert.Contains("sameorg@example.com", JsonNode.Parse(body)!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain("someone-else@example.com", body, StringComparison.Ordinal);
        var view = await _quay.Provisioning.Read<JsonObject>($"{url}/sameorg");
        Assert.Equal("sameorg@example.com", view["email"]!.GetValue<string>());
        Assert.Single(await _quay.WebhookEventTypesAsync(registry.Id), e => e == "quay.organization_created");
    }

    [Fact]
    public async Task Quays_refusals_become_problems_naming_Quays_status_and_message()
    {
        var registry = await InitializedAsync("qrefuse");

        using var taken = await _quay.Client.PostAsJsonAsync($"/v1/registries/{registry.Id}/quay/organizations", new OrganizationSpec("quayadmin", null));
        using var missing = await _quay.Client.GetAsync($"/v1/registries/{registry.Id}/quay/organizations/nosuchorg");
        using var invalid = await _quay.Client.PostAsJsonAsync($"/v1/registries/{registry.Id}/quay/organizations", new OrganizationSpec("MyOrg", null));
        using var emailUsed = await _quay.Client.PostAsJsonAsync($"/v1/registries/{registry.Id}/quay/organizations",
            new OrganizationSpec("otherorg", "quayadmin@example.com"));

        await QuayScenario.AssertProblemAsync(taken, HttpStatusCode.BadRequest, "quay-rejected");
        var takenProblem = await taken.ReadObjectAsync();
        Assert.Equal(400, takenProblem["quayStatus"]!.GetValue<int>());
        Assert.Equal("A user or organization with this name already exists", takenProblem["quayMessage"]!.GetValue<string>());
        await QuayScenario.AssertProblemAsync(missing, HttpStatusCode.NotFound, "quay-rejected");
        Assert.Equal("Not Found", (await missing.ReadObjectAsync())["quayMessage"]!.GetValue<string>());
        await QuayScenario.AssertProblemAsync(invalid, HttpStatusCode.BadRequest, "validation-failed");
        Assert.Equal("Invalid namespace MyOrg: Namespace must match expression ^([a-z0-9]+(?:[._-][a-z0-9]+)*)$",
            (await invalid.ReadObjectAsync())["errors"]!["name"]![0]!.GetValue<string>());
        await QuayScenario.AssertProblemAsync(emailUsed, HttpStatusCode.BadRequest, "quay-rejected");
        Assert.Equal("Email has already been used: quayadmin@example.com", (await emailUsed.ReadObjectAsync())["quayMessage"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_user_Quay_does_not_make_superuser_gets_Quays_insufficient_scope_as_a_problem()
    {
        var registry = await _quay.AvailableAsync("qnosuper", "FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [someoneelse]\n");
        using (var initialized = await _quay.InitializeAsync(registry.Id))
        {
            Assert.Equal(HttpStatusCode.Created, initialized.StatusCode);
        }

        using var users = await _quay.Client.GetAsync($"/v1/registries/{registry.Id}/quay/users");

        await QuayScenario.AssertProblemAsync(users, HttpStatusCode.Forbidden, "quay-rejected");
        var problem = await users.ReadObjectAsync();
        Assert.Equal((403, "Unauthorized"), (problem["quayStatus"]!.GetValue<int>(), problem["quayMessage"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Without_a_stored_token_the_answer_is_409_token_missing()
    {
        var registry = await _quay.AvailableAsync("qnotoken");

        using var users = await _quay.Client.GetAsync($"/v1/registries/{registry.Id}/quay/users");
        using var org = await _quay.Client.PostAsJsonAsync($"/v1/registries/{registry.Id}/quay/organizations", new OrganizationSpec("testorg", "testorg@example.com"));

        await QuayScenario.AssertProblemAsync(users, HttpStatusCode.Conflict, "quay-token-missing");
        await QuayScenario.AssertProblemAsync(org, HttpStatusCode.Conflict, "quay-token-missing");
    }

    [Fact]
    public async Task A_token_Quay_refuses_and_no_password_to_mint_again_is_409_credentials_expired_never_Quays_CSRF_403()
    {
        var registry = await InitializedAsync("qexpired");
        _quay.Sandbox.Quay.Api.RevokeTokens($"{registry.Namespace}/{registry.Name}");

        using var users = await _quay.Client.GetAsync($"/v1/registries/{registry.Id}/quay/users");
        using var org = await _quay.Client.PostAsJsonAsync($"/v1/registries/{registry.Id}/quay/organizations", new OrganizationSpec("lateorg", "lateorg@example.com"));

        await QuayScenario.AssertProblemAsync(users, HttpStatusCode.Conflict, "quay-credentials-expired");
        await QuayScenario.AssertProblemAsync(org, HttpStatusCode.Conflict, "quay-credentials-expired");
        var detail = (await org.ReadObjectAsync())["detail"]!.GetValue<string>();
        Assert.DoesNotContain("CSRF", detail, StringComparison.Ordinal);
        Assert.Contains("PUT /v1/registries/{id}/quay/credentials", detail, StringComparison.Ordinal);
        // Announced once, however many calls meet it.
        Assert.Single(await _quay.WebhookEventTypesAsync(registry.Id), t => t == "quay.credentials_failed");
        Assert.Contains(await _quay.TimelineAsync(registry.Id), e => e.Type == TimelineEntryType.QuayCredentialsFailed);
    }

    [Fact]
    public async Task A_token_past_its_stored_expiry_is_409_without_calling_Quay()
    {
        var registry = await InitializedAsync("qstale");
        await gateway.WithDbAsync(db => db.QuayAccounts.Where(a => a.RegistryId == registry.Id)
            .ExecuteUpdateAsync(a => a.SetProperty(x => x.TokenExpiresAt, DateTimeOffset.UtcNow.AddSeconds(-1))));
        // Quay would fail anything now; the gateway must not get that far.
        using var users = await _quay.WithQuayFaultAsync(f => f.AddError(new(500, PathPrefix: "/api/v1/superuser")),
            () => _quay.Client.GetAsync($"/v1/registries/{registry.Id}/quay/users"));

        await QuayScenario.AssertProblemAsync(users, HttpStatusCode.Conflict, "quay-token-expired");
        Assert.Contains("expired at", (await users.ReadObjectAsync())["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Quay_failing_a_read_is_502_after_the_read_is_retried()
    {
        var registry = await InitializedAsync("qread500");
        using var users = await _quay.WithQuayFaultAsync(f => f.AddError(new(503, PathPrefix: "/api/v1/superuser")),
            () => _quay.Client.GetAsync($"/v1/registries/{registry.Id}/quay/users"));

        await QuayScenario.AssertProblemAsync(users, HttpStatusCode.BadGateway, "quay-error");
        Assert.Equal(503, (await users.ReadObjectAsync())["quayStatus"]!.GetValue<int>());
    }
}
