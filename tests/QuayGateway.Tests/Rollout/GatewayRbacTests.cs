using System.Net;
using System.Text.Json.Nodes;
using QuayGateway.Registries.Model;
using QuayGateway.Sandbox;
using QuayGateway.Sandbox.Kubernetes;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Tests.Packaging;

namespace QuayGateway.Tests.Rollout;

/// <summary>
/// The chart's ClusterRole is the gateway's least privilege (issue 18): the gateway runs in the sandbox as the service
/// account bound to it (GatewayFixture), a full create-to-delete flow is never denied, and every (resource, verb)
/// the role grants is used by it, so removing any single rule denies a request the flow makes.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class GatewayRbacTests(GatewayFixture gateway)
{
    private readonly ProvisioningScenario _scenario = new(gateway);

    [Fact]
    public void The_sandbox_binds_the_gateway_to_the_charts_own_rules_and_the_gateway_uses_that_context()
    {
        static JsonNode Rules(string manifest) => ChartYaml.AllDocumentsToJson(manifest).Single(d => (string?)d?["kind"] == "ClusterRole")!["rules"]!;
        Assert.True(JsonNode.DeepEquals(Rules(ChartRbac.RenderedClusterRole()), Rules(SandboxCluster.ChartGatewayRoleManifest)),
            $"the sandbox's embedded role differs from the chart's:\n{SandboxCluster.ChartGatewayRoleManifest}");

        // Dev services configure the gateway with the service account's context, not the admin's (the kubeconfig's current one).
        var sandbox = _scenario.Sandbox();
        Assert.Equal($"{sandbox.Options.Name}-gateway", sandbox.GatewayContext);
        var configuration = (Microsoft.Extensions.Configuration.IConfiguration)gateway.Host.Services.GetService(typeof(Microsoft.Extensions.Configuration.IConfiguration))!;
        Assert.Equal(sandbox.GatewayContext, configuration[$"Gateway:Clusters:{sandbox.Options.Name}:context"]);
    }

    [Fact]
    public async Task Every_rule_of_the_chart_role_is_needed_and_nothing_else_is_asked_for()
    {
        var ns = ProvisioningScenario.UniqueNamespace("rbac");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("least", ns,
            ConfigBundle: new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\n" }));
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        await _scenario.ComponentsAsync(created.Id, c => c.Values.Any(v => v.Pods.Count > 0) && c.Values.Any(v => v.Hpa is not null));
        using (var delete = await _scenario.Client.DeleteAsync($"/v1/registries/{created.Id}"))
        {
            Assert.Equal(HttpStatusCode.Accepted, delete.StatusCode);
        }
        await _scenario.WaitForAsync(created.Id, RegistryState.Deleted);

        var sandbox = _scenario.Sandbox();
        var used = sandbox.Authorization.Decisions().Keys.Where(d => d.User == SandboxCluster.GatewayIdentity.Name).ToList();
        var denied = used.Where(d => !d.Allowed).Select(d => $"{d.Group}/{d.Resource}: {d.Verb}").ToList();
        Assert.True(denied.Count == 0, "denied: " + string.Join("; ", denied));

        // The rules as granted, each (group, resource, verb) by exactly one rule.
        var role = ChartYaml.AllDocumentsToJson(ChartRbac.RenderedClusterRole()).Single(d => (string?)d?["kind"] == "ClusterRole")!;
        var rules = role["rules"]!.AsArray().Select(r => r!.AsObject()).ToList();
        var grants = rules.SelectMany((rule, i) =>
            from g in rule["apiGroups"]!.AsArray()
            from r in rule["resources"]!.AsArray()
            from v in rule["verbs"]!.AsArray()
            select (Rule: i, Grant: $"{(string)g!}/{(string)r!}: {(string)v!}")).ToList();
        Assert.Equal(grants.Count, grants.Select(g => g.Grant).Distinct().Count());

        var asked = used.Select(d => $"{d.Group}/{d.Resource}: {d.Verb}").ToHashSet();
        var unused = grants.Select(g => g.Grant).Where(g => !asked.Contains(g)).ToList();
        Assert.True(unused.Count == 0, "granted but never used: " + string.Join("; ", unused));
        var ungranted = asked.Where(a => !grants.Any(g => g.Grant == a)).ToList();
        Assert.True(ungranted.Count == 0, "used but not granted: " + string.Join("; ", ungranted));

        // Removing any one rule: some request of the flow is then denied by the same authorizer.
        foreach (var (_, index) in rules.Select((r, i) => (r, i)))
        {
            var store = new ObjectStore();
            var reduced = new JsonObject { ["kind"] = "ClusterRole", ["rules"] = new JsonArray(rules.Where((_, i) => i != index).Select(r => r.DeepClone()).ToArray()) };
            GatewayRole.Bind(store, reduced.ToJsonString(), SandboxCluster.GatewayIdentity);
            var authorizer = new RbacAuthorizer(store);
            Assert.Contains(used, d => !authorizer.Authorize(SandboxCluster.GatewayIdentity, new RequestAttributes(d.Verb, d.Group,
                d.Resource.Split('/')[0], d.Resource.Contains('/') ? d.Resource.Split('/')[1] : null, ns, null)).Allowed);
        }
    }
}
