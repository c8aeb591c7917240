using System.Text.Json.Nodes;

namespace QuayGateway.Tests.Sandbox.Operator;

/// <summary>
/// The operator e2e scenarios whose specs the examples leave out, with the spec and bundle each scenario's name
/// implies; every one must end in the example's status.
/// </summary>
public sealed class StatusExampleTests
{
    [Theory]
    [InlineData("unmanaged_clair_00-assert-status.yaml", "- {kind: clair, managed: false}", "FEATURE_USER_INITIALIZE: true\n", false)]
    [InlineData("unmanaged_route_tls_00-assert-status.yaml", "- {kind: route, managed: false}\n- {kind: tls, managed: false}", "SERVER_HOSTNAME: registry.example.com\n", true)]
    [InlineData("external_tls_00-assert-status.yaml", "- {kind: tls, managed: false}", "SERVER_HOSTNAME: registry.example.com\n", true)]
    [InlineData("reconcile_00-assert-status.yaml", "- {kind: horizontalpodautoscaler, managed: true}", "FEATURE_USER_INITIALIZE: true\n", false)]
    public async Task Scenario_ends_in_its_example_status(string example, string components, string config, bool certs)
    {
        await using var h = new OperatorHarness();
        var files = new JsonObject { ["config.yaml"] = config };
        if (certs)
        {
            files["ssl.cert"] = "-----BEGIN CERTIFICATE-----";
            files["ssl.key"] = "-----BEGIN PRIVATE KEY-----";
        }

        h.Store.Create("secrets", OperatorHarness.Ns, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "bundle" }, ["stringData"] = files });
        var name = Path.GetFileNameWithoutExtension(example).Split('_')[0];
        h.Create($"""
            apiVersion: quay.redhat.com/v1
            kind: QuayRegistry
            metadata:
              name: {name}
            spec:
              configBundleSecret: bundle
              components:
              {components.Replace("\n", "\n  ", StringComparison.Ordinal)}
            """);

        var registry = await h.WaitForAvailable(name);

        StatusExamples.AssertMatches(example, registry);
    }
}
