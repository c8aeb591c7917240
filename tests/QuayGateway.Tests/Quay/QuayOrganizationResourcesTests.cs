using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Quay;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tenants;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Tests.Rollout;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Quay;

/// <summary>
/// Robots with pull secrets, teams and quotas through the gateway, against the sandbox's Quay and cluster; and the
/// same declared in the create request and in PATCH.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class QuayOrganizationResourcesTests(GatewayFixture gateway)
{
    private const string QuotaConfig = "FEATURE_USER_INITIALIZE: true\nFEATURE_QUOTA_MANAGEMENT: true\nSUPER_USERS: [quayadmin]\n";
    private static readonly InitialUserRequest Admin = new("quayadmin", "quayadmin@example.com", QuayScenario.Password);

    private readonly QuayScenario _quay = new(gateway);

    private async Task<(RegistryResponse Registry, string Base)> ReadyWithOrgAsync(string prefix, string config = QuayScenario.Config)
    {
        var created = await _quay.Provisioning.CreateAsync(QuayScenario.Request(ProvisioningScenario.UniqueNamespace(prefix), config, Admin,
            new OrganizationSpec("testorg", "testorg@example.com")));
        var ready = await _quay.Provisioning.WaitForAsync(created.Id, RegistryState.Ready);
        return (ready, $"/v1/registries/{ready.Id}/quay/organizations/testorg");
    }

    private async Task<string?> PullSecretTokenAsync(string ns, string name)
    {
        try
        {
            var secret = await _quay.Provisioning.Kubernetes().CoreV1.ReadNamespacedSecretAsync(name, ns);
            Assert.Equal("kubernetes.io/dockerconfigjson", secret.Type);
            // The sandbox keeps stringData as written (a real API server folds it into data).
            var config = JsonNode.Parse(secret.Data?.TryGetValue(".dockerconfigjson", out var bytes) == true
                ? Encoding.UTF8.GetString(bytes) : secret.StringData[".dockerconfigjson"])!;
            var auth = config["auths"]!.AsObject().Single().Value!["auth"]!.GetValue<string>();
            return Encoding.UTF8.GetString(Convert.FromBase64String(auth)).Split(':', 2)[1];
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    [Fact]
    public async Task A_robot_is_created_once_with_its_token_its_pull_secret_follows_regenerate_and_delete_removes_both()
    {
        var (registry, orgUrl) = await ReadyWithOrgAsync("qrobot");
        var ns = registry.Namespace;

        using var create = await _quay.Client.PostAsJsonAsync($"{orgUrl}/robots",
            new { name = "ci", description = "CI pulls", pullSecrets = new[] { new { @namespace = ns, name = "quay-pull" } } });
        var body = await create.Content.ReadAsStringAsync();
        Assert.True(create.StatusCode == HttpStatusCode.Created, body);
        var robot = JsonNode.Parse(body)!;
        Assert.Equal("testorg+ci", robot["name"]!.GetValue<string>());
        var token = robot["token"]!.GetValue<string>();
        Assert.Matches("^[A-Z0-9]{64}$", token);
        var dockerConfig = JsonNode.Parse(robot["dockerConfigJson"]!.GetValue<string>())!;
        Assert.Equal(new Uri(registry.RegistryEndpoint!).Host, dockerConfig["auths"]!.AsObject().Single().Key);
        Assert.Equal(token, await GatewayFixture.EventuallyAsync(() => PullSecretTokenAsync(ns, "quay-pull"), t => t == token));

        var list = await _quay.Provisioning.Read<JsonObject>($"{orgUrl}/robots");
        Assert.Equal("testorg+ci", list["robots"]!.AsArray().Single()!["name"]!.GetValue<string>());
        Assert.DoesNotContain(token, list.ToJsonString(), StringComparison.Ordinal);

        using var again = await _quay.Client.PostAsJsonAsync($"{orgUrl}/robots", new { name = "ci" });
        await QuayScenario.AssertProblemAsync(again, HttpStatusCode.BadRequest, "quay-rejected");

        using var regenerate = await _quay.Client.PostAsync($"{orgUrl}/robots/ci/regenerate", null);
        Assert.Equal(HttpStatusCode.OK, regenerate.StatusCode);
        var newToken = JsonNode.Parse(await regenerate.Content.ReadAsStringAsync())!["token"]!.GetValue<string>();
        Assert.NotEqual(token, newToken);
        await GatewayFixture.EventuallyAsync(() => PullSecretTokenAsync(ns, "quay-pull"), t => t == newToken);

        using var delete = await _quay.Client.DeleteAsync($"{orgUrl}/robots/ci");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        await GatewayFixture.EventuallyAsync(() => PullSecretTokenAsync(ns, "quay-pull"), t => t is null);
        Assert.Empty((await _quay.Provisioning.Read<JsonObject>($"{orgUrl}/robots"))["robots"]!.AsArray());

        var timeline = await _quay.TimelineAsync(registry.Id);
        Assert.Contains(TimelineEntryType.QuayRobotCreated, timeline.Select(e => e.Type));
        Assert.Contains(TimelineEntryType.QuayRobotDeleted, timeline.Select(e => e.Type));
        Assert.Contains("quay.robot_created", await _quay.WebhookEventTypesAsync(registry.Id));
        Assert.DoesNotContain(timeline, e => $"{e.Reason} {e.Message}".Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_robot_name_Quay_refuses_is_a_field_error()
    {
        var (_, orgUrl) = await ReadyWithOrgAsync("qrobotbad");

        using var response = await _quay.Client.PostAsJsonAsync($"{orgUrl}/robots",
            new { name = "CI!", pullSecrets = new[] { new { @namespace = "Not_A_Label", name = "x" } } });

        await QuayScenario.AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject();
        Assert.Contains("name", errors.Select(e => e.Key));
        Assert.Contains("pullSecrets[0].namespace", errors.Select(e => e.Key));
    }

    [Fact]
    public async Task A_team_the_gateway_creates_gets_exactly_its_members_and_a_found_team_only_gains_members()
    {
        var (registry, orgUrl) = await ReadyWithOrgAsync("qteam");
        (await _quay.Client.PostAsJsonAsync($"{orgUrl}/robots", new { name = "ci" })).Dispose();
        (await _quay.Client.PostAsJsonAsync($"{orgUrl}/robots", new { name = "deploy" })).Dispose();

        var created = await PutTeamAsync($"{orgUrl}/teams/devs", new { role = "member", members = new[] { "testorg+ci", "testorg+deploy" } });
        var narrowed = await PutTeamAsync($"{orgUrl}/teams/devs", new { role = "creator", members = new[] { "testorg+deploy" } });
        var unchanged = await PutTeamAsync($"{orgUrl}/teams/devs", new { role = "creator", members = new[] { "testorg+deploy" } });
        var owners = await PutTeamAsync($"{orgUrl}/teams/owners", new { role = "admin", members = new[] { "testorg+ci" } });

        Assert.True(created["createdByGateway"]!.GetValue<bool>());
        Assert.Equal(["testorg+ci", "testorg+deploy"], Names(created));
        Assert.Equal("creator", narrowed["role"]!.GetValue<string>());
        Assert.Equal(["testorg+deploy"], Names(narrowed));
        Assert.Equal(["testorg+deploy"], Names(unchanged));
        Assert.False(owners["createdByGateway"]!.GetValue<bool>());
        Assert.Equal(["quayadmin", "testorg+ci"], Names(owners)); // quayadmin stays: the gateway did not create owners
        Assert.Equal(3, (await _quay.WebhookEventTypesAsync(registry.Id)).Count(e => e == "quay.team_updated")); // not for the no-op

        using var invalid = await _quay.Client.PutAsJsonAsync($"{orgUrl}/teams/devs", new { role = "owner" });
        await QuayScenario.AssertProblemAsync(invalid, HttpStatusCode.BadRequest, "validation-failed");
    }

    [Fact]
    public async Task A_quota_needs_FEATURE_QUOTA_MANAGEMENT_and_is_set_once()
    {
        var (_, withoutFeature) = await ReadyWithOrgAsync("qnoquota");
        using var refused = await _quay.Client.PutAsJsonAsync($"{withoutFeature}/quota", new { limitBytes = 1073741824L });
        await QuayScenario.AssertProblemAsync(refused, HttpStatusCode.Conflict, "quay-quota-management-disabled");

        var (registry, orgUrl) = await ReadyWithOrgAsync("qquota", QuotaConfig);
        var first = await PutAsync($"{orgUrl}/quota", new { limitBytes = 1073741824L });
        var same = await PutAsync($"{orgUrl}/quota", new { limitBytes = 1073741824L });
        var changed = await PutAsync($"{orgUrl}/quota", new { limitBytes = 2147483648L });

        Assert.Equal((true, "1.0 GiB"), (first["changed"]!.GetValue<bool>(), first["limit"]!.GetValue<string>()));
        Assert.False(same["changed"]!.GetValue<bool>());
        Assert.Equal((true, "2.0 GiB"), (changed["changed"]!.GetValue<bool>(), changed["limit"]!.GetValue<string>()));
        Assert.Equal(2, (await _quay.WebhookEventTypesAsync(registry.Id)).Count(e => e == "quay.quota_set"));
    }

    [Fact]
    public async Task Declared_robots_teams_and_quota_are_brought_about_with_the_bootstrap_and_a_PATCH_changes_what_differs()
    {
        var ns = ProvisioningScenario.UniqueNamespace("qdecl");
        var org = new OrganizationSpec("testorg", "testorg@example.com",
            Robots: [new RobotSpec("ci", "CI", [new PullSecretSpec(ns, "quay-pull")])],
            Teams: [new TeamSpec("devs", "member", ["testorg+ci"])],
            Quota: new QuotaSpec(1073741824L));
        var created = await _quay.Provisioning.CreateAsync(QuayScenario.Request(ns, QuotaConfig, Admin, org));
        var ready = await _quay.Provisioning.WaitForAsync(created.Id, RegistryState.Ready);

        var steps = (await _quay.TimelineAsync(ready.Id)).Select(e => e.Type == TimelineEntryType.StateChanged ? e.State.ToString() : e.Type.ToString())
            .Where(s => s is "Bootstrapping" or "Ready" || s.StartsWith("Quay", StringComparison.Ordinal) && s != "QuayPullSecretsWritten").ToList();
        Assert.Equal(["Bootstrapping", "QuayUserInitialized", "QuayDurableTokenMinted", "QuayOrganizationCreated", "QuayRobotCreated", "QuayTeamUpdated", "QuayQuotaSet", "Ready"], steps);
        var events = await _quay.WebhookEventTypesAsync(ready.Id);
        Assert.Equal(["quay.user_initialized", "quay.organization_created", "quay.robot_created", "quay.team_updated", "quay.quota_set"],
            events.Where(e => e.StartsWith("quay.", StringComparison.Ordinal)));
        await GatewayFixture.EventuallyAsync(() => PullSecretTokenAsync(ns, "quay-pull"), t => t is not null);
        var devs = await _quay.Provisioning.Read<JsonObject>($"/v1/registries/{ready.Id}/quay/organizations/testorg/robots");
        Assert.Equal("devs", devs["robots"]!.AsArray().Single()!["teams"]!.AsArray().Single()!["name"]!.GetValue<string>());

        // PATCH: a bigger quota and one more team; the robot and devs are as declared already, so they are skipped.
        var changedOrg = org with { Teams = [.. org.Teams!, new TeamSpec("ops", "creator", [])], Quota = new QuotaSpec(2147483648L) };
        using var patch = await _quay.Client.PatchAsJsonAsync($"/v1/registries/{ready.Id}", new { organizations = new[] { changedOrg } });
        Assert.Equal(HttpStatusCode.Accepted, patch.StatusCode);
        await GatewayFixture.EventuallyAsync(() => _quay.WebhookEventTypesAsync(ready.Id), e => e.Count(t => t == "quay.quota_set") == 2);
        var again = await _quay.Provisioning.WaitForAsync(ready.Id, RegistryState.Ready);

        Assert.Contains(again.Conditions, c => c is { Type: "Bootstrapped", Status: "True" });
        var after = await _quay.WebhookEventTypesAsync(ready.Id);
        Assert.Single(after, e => e == "quay.robot_created");
        Assert.Single(after, e => e == "quay.user_initialized");
        Assert.Equal(2, after.Count(e => e == "quay.team_updated"));
    }

    [Fact]
    public async Task Declared_resources_are_validated_as_field_errors()
    {
        var request = QuayScenario.Request(ProvisioningScenario.UniqueNamespace("qdeclbad"), initialUser: Admin,
            organizations: new OrganizationSpec("testorg", "testorg@example.com",
                Robots: [new RobotSpec("ci"), new RobotSpec("ci")], Teams: [new TeamSpec("devs", "owner")], Quota: new QuotaSpec(0)));

        using var response = await _quay.Client.PostAsJsonAsync("/v1/registries", request);

        await QuayScenario.AssertProblemAsync(response, HttpStatusCode.BadRequest, "validation-failed");
        var errors = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["errors"]!.AsObject().Select(e => e.Key).ToList();
        Assert.Contains("organizations[0].robots[1].name", errors);
        Assert.Contains("organizations[0].teams[0].role", errors);
        Assert.Contains("organizations[0].quota.limitBytes", errors);
    }

    [Fact]
    public async Task Robots_teams_and_quotas_call_Quay_without_asking_it_who_the_token_is_first()
    {
        var (_, orgUrl) = await ReadyWithOrgAsync("qnoprobe", QuotaConfig);

        // Quay's "who am I" (GET /api/v1/user/) fails meanwhile: an operation that asked it first would fail too.
        var answers = await _quay.WithQuayFaultAsync(f => f.AddError(new(500, PathPrefix: "/api/v1/user/")), async () =>
        {
            using var robot = await _quay.Client.PostAsJsonAsync($"{orgUrl}/robots", new { name = "ci" });
            using var team = await _quay.Client.PutAsJsonAsync($"{orgUrl}/teams/devs", new { role = "member", members = new[] { "testorg+ci" } });
            using var quota = await _quay.Client.PutAsJsonAsync($"{orgUrl}/quota", new { limitBytes = 1073741824L });
            using var regenerate = await _quay.Client.PostAsync($"{orgUrl}/robots/ci/regenerate", null);
            using var delete = await _quay.Client.DeleteAsync($"{orgUrl}/robots/ci");
            return new[] { robot.StatusCode, team.StatusCode, quota.StatusCode, regenerate.StatusCode, delete.StatusCode };
        });

        Assert.Equal([HttpStatusCode.Created, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.NoContent], answers);
    }

    [Fact]
    public async Task A_pull_secret_in_a_namespace_the_tenant_may_not_use_is_refused_before_Quay_is_asked()
    {
        var tenant = $"pulls-{Guid.NewGuid():N}"[..14];
        var prefix = ProvisioningScenario.UniqueNamespace("qpull");
        using (var policy = await gateway.Client().PutAsJsonAsync($"/v1/tenants/{tenant}", new TenantPolicyRequest(["sandbox"], [$"{prefix}-*"]), TestJson.Options))
        {
            Assert.True(policy.IsSuccessStatusCode, await policy.Content.ReadAsStringAsync());
        }

        var client = gateway.Client(await gateway.CreateKeyAsync(tenant, Scopes.RegistriesWrite, Scopes.RegistriesRead, Scopes.QuayAdmin));
        using var created = await client.PostJsonAsync("/v1/registries", QuayScenario.Request($"{prefix}-one", initialUser: Admin));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.ReadAsync<RegistryResponse>()).Id;
        var orgUrl = $"/v1/registries/{id}/quay/organizations/testorg";

        using var outside = await client.PostAsJsonAsync($"{orgUrl}/robots",
            new { name = "ci", pullSecrets = new[] { new { @namespace = $"{prefix}-one", name = "quay-pull" }, new { @namespace = "kube-system", name = "quay-pull" } } });
        using var inside = await client.PostAsJsonAsync($"{orgUrl}/robots",
            new { name = "ci", pullSecrets = new[] { new { @namespace = $"{prefix}-two", name = "quay-pull" } } });

        await QuayScenario.AssertProblemAsync(outside, HttpStatusCode.Forbidden, "namespace-not-allowed");
        var problem = await outside.ReadObjectAsync();
        Assert.Equal(("pullSecrets[1].namespace", "kube-system"), (problem["field"]!.GetValue<string>(), problem["namespace"]!.GetValue<string>()));
        Assert.Contains("pull secrets", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"{prefix}-*", problem["detail"]!.GetValue<string>(), StringComparison.Ordinal); // what the policy allows
        // Within the policy the namespace passes; the registry is not ready for Quay calls yet.
        Assert.Equal(HttpStatusCode.Conflict, inside.StatusCode);

        // Declared with the registry, at create and in a PATCH, the same.
        var declared = new OrganizationSpec("testorg", "testorg@example.com", Robots: [new RobotSpec("ci", PullSecrets: [new PullSecretSpec("kube-system", "quay-pull")])]);
        using var create = await client.PostJsonAsync("/v1/registries", QuayScenario.Request($"{prefix}-two", initialUser: Admin, organizations: declared));
        // A PATCH waits for the first rollout (one change at a time).
        await GatewayFixture.EventuallyAsync(() => gateway.WithDbAsync(db => db.Registries.AsNoTracking().Where(r => r.Id == id).Select(r => r.State).SingleAsync()),
            state => state is RegistryState.Ready or RegistryState.Failed, TimeSpan.FromMinutes(2));
        using var patch = await client.PatchAsJsonAsync($"/v1/registries/{id}",
            new PatchRegistryRequest(Organizations: [declared]), TestJson.Options);
        foreach (var refused in new[] { create, patch })
        {
            await QuayScenario.AssertProblemAsync(refused, HttpStatusCode.Forbidden, "namespace-not-allowed");
            Assert.Equal("organizations[0].robots[0].pullSecrets[0].namespace", (await refused.ReadObjectAsync())["field"]!.GetValue<string>());
        }
    }

    /// <summary>
    /// A tenant's policy narrowed after a robot's pull secret was written: the job removes the Secret and says why in
    /// the timeline and a webhook event, once per change of state (not on every resync), and again after a widening
    /// and a second narrowing.
    /// </summary>
    [Fact]
    public async Task A_pull_secret_whose_namespace_the_narrowed_policy_no_longer_allows_is_announced_once_per_change()
    {
        var tenant = $"narrow-{Guid.NewGuid():N}"[..14];
        var prefix = ProvisioningScenario.UniqueNamespace("qnarrow");
        var ns = $"{prefix}-one";
        async Task SetPolicyAsync(string namespaces)
        {
            using var policy = await gateway.Client().PutAsJsonAsync($"/v1/tenants/{tenant}", new TenantPolicyRequest(["sandbox"], [namespaces]), TestJson.Options);
            Assert.True(policy.IsSuccessStatusCode, await policy.Content.ReadAsStringAsync());
        }

        await SetPolicyAsync($"{prefix}-*");
        var client = gateway.Client(await gateway.CreateKeyAsync(tenant, Scopes.RegistriesWrite, Scopes.RegistriesRead, Scopes.QuayAdmin));
        var declared = new OrganizationSpec("testorg", "testorg@example.com", Robots: [new RobotSpec("ci", PullSecrets: [new PullSecretSpec(ns, "quay-pull")])]);
        using var created = await client.PostJsonAsync("/v1/registries", QuayScenario.Request(ns, initialUser: Admin, organizations: declared));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.ReadAsync<RegistryResponse>()).Id;
        // The registry is the tenant's: the fixture's default client does not see it, the database does.
        Assert.Equal(RegistryState.Ready, await GatewayFixture.EventuallyAsync(
            () => gateway.WithDbAsync(db => db.Registries.AsNoTracking().Where(r => r.Id == id).Select(r => r.State).SingleAsync()),
            state => state is RegistryState.Ready or RegistryState.Failed, TimeSpan.FromMinutes(2)));
        await GatewayFixture.EventuallyAsync(() => PullSecretTokenAsync(ns, "quay-pull"), t => t is not null);
        var robotId = await gateway.WithDbAsync(db => db.QuayRobots.Where(r => r.RegistryId == id).Select(r => r.Id).SingleAsync());

        using var recording = gateway.Logs.Record();
        async Task<(int Refused, int Events)> RunJobAsync()
        {
            await using (var scope = gateway.Host.Services.CreateAsyncScope())
            {
                await scope.ServiceProvider.GetRequiredService<RobotPullSecretsJob>().RunAsync(robotId, CancellationToken.None);
            }

            return ((await _quay.TimelineAsync(id)).Count(e => e.Type == RobotPullSecretsJob.PullSecretRefusedEntry),
                (await _quay.WebhookEventTypesAsync(id)).Count(t => t == WebhookEventTypes.QuayPullSecretRefused));
        }

        // The shared host's log, this robot's refusal lines only (the fixture runs the collection's tests one at a time).
        string[] RefusalLines(string level) => gateway.Logs.Entries
            .Where(e => e.StartsWith($"{level} {typeof(RobotPullSecretsJob).FullName}:", StringComparison.Ordinal)
                        && e.Contains($"Pull secret {ns}/quay-pull", StringComparison.Ordinal) && e.Contains("outside tenant", StringComparison.Ordinal))
            .ToArray();

        Assert.Equal((0, 0), await RunJobAsync());
        await SetPolicyAsync($"{prefix}-elsewhere");
        Assert.Equal((1, 1), await RunJobAsync());
        Assert.Single(RefusalLines("Warning"));
        Assert.Equal((1, 1), await RunJobAsync()); // the next resync changes nothing and says nothing new
        Assert.Single(RefusalLines("Warning")); // nor does its log at Warning: the repeat is Debug
        Assert.Single(RefusalLines("Debug"));
        Assert.Null(await PullSecretTokenAsync(ns, "quay-pull"));
        var entry = (await _quay.TimelineAsync(id)).Single(e => e.Type == RobotPullSecretsJob.PullSecretRefusedEntry);
        Assert.Contains($"{ns}/quay-pull", entry.Message, StringComparison.Ordinal);
        Assert.Contains("testorg+ci", entry.Message, StringComparison.Ordinal);
        Assert.Contains("no longer one the tenant may use", entry.Message, StringComparison.Ordinal);
        Assert.Contains($"{prefix}-elsewhere", entry.Message, StringComparison.Ordinal); // the policy's own words: what it allows
        Assert.Contains("removed", entry.Message, StringComparison.Ordinal);

        await SetPolicyAsync($"{prefix}-*");
        Assert.Equal((1, 1), await RunJobAsync());
        Assert.NotNull(await PullSecretTokenAsync(ns, "quay-pull"));
        await SetPolicyAsync($"{prefix}-elsewhere");
        Assert.Equal((2, 2), await RunJobAsync());
    }

    private async Task<JsonNode> PutTeamAsync(string url, object body) => await PutAsync(url, body);

    private async Task<JsonNode> PutAsync(string url, object body)
    {
        using var response = await _quay.Client.PutAsJsonAsync(url, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }

    private static string[] Names(JsonNode team) => team["members"]!.AsArray().Select(m => m!.GetValue<string>()).ToArray();
}
