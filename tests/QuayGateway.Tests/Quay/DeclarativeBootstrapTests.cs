using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Quay;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Tests.Rollout;

namespace QuayGateway.Tests.Quay;

/// <summary><c>initialUser</c> and <c>organizations</c> in the create request, run once the registry is Available.</summary>
[Collection(GatewayCollection.Name)]
public sealed class DeclarativeBootstrapTests(GatewayFixture gateway)
{
    private static readonly InitialUserRequest Admin = new("quayadmin", "quayadmin@example.com", QuayScenario.Password);

    private readonly QuayScenario _quay = new(gateway);

    private Task<RegistrySecrets> SecretsAsync(Guid id) => gateway.WithDbAsync(async db =>
        RegistrySecrets.Unprotect(gateway.Host.Services.GetRequiredService<IDataProtectionProvider>(),
            (await db.Registries.AsNoTracking().SingleAsync(r => r.Id == id)).ProtectedSecrets));

    [Fact]
    public async Task The_user_and_organizations_are_created_then_the_registry_is_Ready()
    {
        var created = await _quay.Provisioning.CreateAsync(QuayScenario.Request(ProvisioningScenario.UniqueNamespace("qboot"), initialUser: Admin,
            organizations: [new("testorg", "testorg@example.com"), new("buildorg", "builds@example.com")]));
        Assert.Equal(QuayScenario.Password, (await SecretsAsync(created.Id)).InitialUserPassword); // held, encrypted, until used

        var ready = await _quay.Provisioning.WaitForAsync(created.Id, RegistryState.Ready);

        Assert.Contains(ready.Conditions, c => c is { Type: "Bootstrapped", Status: "True", Reason: "BootstrapDone" });
        var steps = (await _quay.TimelineAsync(created.Id)).Select(e => e.Type == TimelineEntryType.StateChanged ? e.State.ToString() : e.Type.ToString())
            .Where(s => s is "Available" or "Bootstrapping" or "Ready" or "QuayUserInitialized" or "QuayOrganizationCreated").ToList();
        Assert.Equal(["Available", "Bootstrapping", "QuayUserInitialized", "QuayOrganizationCreated", "QuayOrganizationCreated", "Ready"], steps);
        var events = await _quay.WebhookEventTypesAsync(created.Id);
        Assert.Equal(["registry.available", "quay.user_initialized", "quay.organization_created", "quay.organization_created", "registry.ready"],
            events.Where(e => e is "registry.available" or "registry.ready" || e.StartsWith("quay.", StringComparison.Ordinal)));

        // The password is erased once the user exists; the token is kept and works.
        Assert.Null((await SecretsAsync(created.Id)).InitialUserPassword);
        Assert.Equal(["testorg", "buildorg"], (await _quay.AccountAsync(created.Id))!.Organizations);
        var org = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{created.Id}/quay/organizations/buildorg");
        Assert.True(org["is_admin"]!.GetValue<bool>());
        var users = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{created.Id}/quay/users");
        Assert.Equal("quayadmin", users["users"]!.AsArray().Single()!["username"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_failed_organization_step_is_a_clear_condition_and_a_retry_finishes_without_a_second_user()
    {
        var failed = await _quay.WithQuayFaultAsync(f => f.AddError(new(500, PathPrefix: "/api/v1/organization")), async () =>
        {
            var created = await _quay.Provisioning.CreateAsync(QuayScenario.Request(ProvisioningScenario.UniqueNamespace("qbootfail"), initialUser: Admin,
                organizations: [new("testorg", "testorg@example.com")]));
            return await _quay.Provisioning.WaitForAsync(created.Id, RegistryState.Failed);
        });
        var id = failed.Id;

        var condition = failed.Conditions.Single(c => c.Type == "Bootstrapped");
        Assert.Equal(("False", "QuayError"), (condition.Status, condition.Reason));
        Assert.Contains("organization 'testorg'", condition.Message, StringComparison.Ordinal);
        Assert.Contains("500", condition.Message, StringComparison.Ordinal);
        Assert.Equal(RegistryHealth.Healthy, failed.Health); // the registry itself is fine
        var tokenBefore = (await _quay.AccountAsync(id))!;
        Assert.Equal(QuayAccountStatus.Initialized, tokenBefore.Status);

        using var retry = await _quay.Client.PostAsync($"/v1/registries/{id}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var ready = await _quay.Provisioning.WaitForAsync(id, RegistryState.Ready);

        Assert.Contains(ready.Conditions, c => c is { Type: "Bootstrapped", Status: "True" });
        var tokenAfter = (await _quay.AccountAsync(id))!;
        Assert.Equal((tokenBefore.ProtectedToken, tokenBefore.InitializedAt), (tokenAfter.ProtectedToken, tokenAfter.InitializedAt));
        var users = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{id}/quay/users");
        Assert.Single(users["users"]!.AsArray());
        Assert.Single(await _quay.TimelineAsync(id), e => e.Type == TimelineEntryType.QuayUserInitialized);
        Assert.Single(await _quay.TimelineAsync(id), e => e.Type == TimelineEntryType.QuayOrganizationCreated);
    }

    [Fact]
    public async Task A_lost_initialize_answer_is_never_repeated_by_itself_and_a_retry_reports_the_token_lost()
    {
        var failed = await _quay.WithQuayFaultAsync(f => f.AddHang("/api/v1/user/initialize", answerLost: true), async () =>
        {
            var created = await _quay.Provisioning.CreateAsync(QuayScenario.Request(ProvisioningScenario.UniqueNamespace("qbootlost"), initialUser: Admin));
            return await _quay.Provisioning.WaitForAsync(created.Id, RegistryState.Failed);
        });
        var id = failed.Id;

        Assert.Contains(failed.Conditions, c => c is { Type: "Bootstrapped", Status: "False", Reason: "QuayTimeout" });
        Assert.Equal(QuayAccountStatus.Unconfirmed, (await _quay.AccountAsync(id))!.Status);

        using var retry = await _quay.Client.PostAsync($"/v1/registries/{id}/retry", null);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        var final = await GatewayFixture.EventuallyAsync(() => _quay.Provisioning.GetAsync(id),
            r => r.State == RegistryState.Failed && r.Conditions.Any(c => c.Reason == "QuayTokenLost"));

        Assert.Contains(final.Conditions, c => c is { Type: "Bootstrapped", Status: "False", Reason: "QuayTokenLost" });
        Assert.Equal(QuayAccountStatus.TokenLost, (await _quay.AccountAsync(id))!.Status);
        Assert.Null((await SecretsAsync(id)).InitialUserPassword); // no longer of any use
    }
}
