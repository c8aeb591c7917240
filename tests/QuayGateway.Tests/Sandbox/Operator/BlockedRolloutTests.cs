using System.Text;
using System.Text.Json.Nodes;
using static QuayGateway.Tests.Sandbox.Operator.OperatorHarness;

namespace QuayGateway.Tests.Sandbox.Operator;

public sealed class BlockedRolloutTests
{
    private static string Registry(string components, string bundle = "bundle") => $"""
        apiVersion: quay.redhat.com/v1
        kind: QuayRegistry
        metadata:
          name: blocked
        spec:
          configBundleSecret: {bundle}
          components:
        {components}
        """;

    private static Task<JsonObject> WaitForBlocked(OperatorHarness h) =>
        h.WaitFor("blocked", r => Text(Condition(r, "RolloutBlocked")?["status"]) == "True");

    [Theory]
    [InlineData("  - {kind: postgres, managed: false}", "", "required component `postgres` marked as unmanaged, but `configBundleSecret` is missing necessary fields")]
    [InlineData("  - {kind: objectstorage, managed: false}", "", "required component `objectstorage` marked as unmanaged, but `configBundleSecret` is missing necessary fields")]
    [InlineData("  - {kind: redis, managed: false}", "", "required component `redis` marked as unmanaged, but `configBundleSecret` is missing necessary fields")]
    [InlineData("  - {kind: route, managed: false}", "", "required component `route` marked as unmanaged, but `configBundleSecret` is missing necessary fields")]
    [InlineData("  - {kind: tls, managed: false}", "", "required component `tls` marked as unmanaged, but `configBundleSecret` is missing necessary fields")]
    [InlineData("  - {kind: postgres, managed: true}", "DB_URI: postgresql://db/quay\n", "postgres component marked as managed, but `configBundleSecret` contains required fields")]
    [InlineData("  - {kind: objectstorage, managed: true}", "DISTRIBUTED_STORAGE_CONFIG: {default: [LocalStorage, {storage_path: /x}]}\n", "objectstorage component marked as managed, but `configBundleSecret` contains required fields")]
    [InlineData("  - {kind: clair, managed: true}", "SECURITY_SCANNER_V4_ENDPOINT: http://clair\n", "clair component marked as managed, but `configBundleSecret` contains required fields")]
    public async Task Component_config_mismatches_block_with_the_operators_message(string components, string config, string message)
    {
        await using var h = new OperatorHarness();
        h.CreateBundle("bundle", config + "FEATURE_USER_INITIALIZE: true\n");
        h.Create(Registry(components));

        var blocked = await WaitForBlocked(h);

        Assert.Equal(("ConfigInvalid", message), (Text(Condition(blocked, "RolloutBlocked")!["reason"]), Text(Condition(blocked, "RolloutBlocked")!["message"])));
        Assert.Empty(h.Store.List("deployments", Ns));
        var warning = Assert.Single(h.Store.List("events", Ns), e => Text(e["type"]) == "Warning");
        Assert.Equal(("ConfigInvalid", message), (Text(warning["reason"]), Text(warning["message"])));
    }

    [Fact]
    public async Task Managed_tls_with_certs_in_the_bundle_is_blocked()
    {
        await using var h = new OperatorHarness();
        h.Store.Create("secrets", Ns, new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "bundle" },
            ["stringData"] = new JsonObject { ["config.yaml"] = "SETUP_COMPLETE: true\n", ["ssl.cert"] = "cert", ["ssl.key"] = "key" },
        });
        h.Create(Registry("  - {kind: tls, managed: true}"));

        var blocked = await WaitForBlocked(h);

        Assert.Equal("tls component marked as managed, but `configBundleSecret` contains required fields", Text(Condition(blocked, "RolloutBlocked")!["message"]));
    }

    [Fact]
    public async Task A_missing_bundle_blocks_until_the_secret_appears()
    {
        await using var h = new OperatorHarness();
        h.Create(Registry("  - {kind: clair, managed: false}", bundle: "x"));

        var blocked = await WaitForBlocked(h);
        Assert.Equal("unable to get `configBundleSecret`: secrets \"x\" not found", Text(Condition(blocked, "RolloutBlocked")!["message"]));

        h.CreateBundle("x", "FEATURE_USER_INITIALIZE: true\n");
        var available = await h.WaitForAvailable("blocked");
        Assert.Equal(("False", "ComponentsCreationSuccess"), (Text(Condition(available, "RolloutBlocked")!["status"]), Text(Condition(available, "RolloutBlocked")!["reason"])));
    }

    [Fact]
    public async Task Fixing_the_bundle_unblocks_an_unmanaged_postgres()
    {
        await using var h = new OperatorHarness();
        h.CreateBundle("bundle", "FEATURE_USER_INITIALIZE: true\n");
        h.Create(Registry("  - {kind: postgres, managed: false}"));
        await WaitForBlocked(h);

        var secret = h.Store.Get("secrets", Ns, "bundle")!;
        secret["data"]!["config.yaml"] = Convert.ToBase64String(Encoding.UTF8.GetBytes("DB_URI: postgresql://db/quay\n"));
        h.Store.Update("secrets", Ns, secret);

        var available = await h.WaitForAvailable("blocked");
        Assert.Equal("Postgres not managed by the operator", Text(Condition(available, "ComponentPostgresReady")!["message"]));
        Assert.Null(h.Store.Get("deployments", Ns, "blocked-quay-database"));
    }

    [Fact]
    public async Task Replicas_with_a_managed_hpa_are_an_invalid_override_until_the_hpa_is_unmanaged()
    {
        await using var h = new OperatorHarness();
        h.CreateBundle("bundle", "FEATURE_USER_INITIALIZE: true\n");
        h.Create(Registry("  - {kind: quay, managed: true, overrides: {replicas: 3}}"));

        var blocked = await WaitForBlocked(h);
        Assert.Equal(("ComponentOverrideInvalid", "invalid overrides: cannot override replicas with managed HPA"),
            (Text(Condition(blocked, "RolloutBlocked")!["reason"]), Text(Condition(blocked, "RolloutBlocked")!["message"])));

        var fixedSpec = h.Registry("blocked");
        fixedSpec["spec"]!["components"]!.AsArray().Single(c => Text(c!["kind"]) == "horizontalpodautoscaler")!["managed"] = false;
        h.Store.Update("quayregistries", Ns, fixedSpec);

        await h.WaitForAvailable("blocked");
        Assert.Equal(3, h.Store.Get("deployments", Ns, "blocked-quay-app")!["spec"]!["replicas"]!.GetValue<long>());
        Assert.Equal(3, h.Pods("blocked").Count(p => Text(p["metadata"]!["labels"]!["quay-component"]) == "quay-app"));
        Assert.Empty(h.Store.List("horizontalpodautoscalers", Ns));
    }

    [Fact]
    public async Task Invalid_yaml_blocks_with_the_parser_message()
    {
        await using var h = new OperatorHarness();
        h.CreateBundle("bundle", "FEATURE_USER_INITIALIZE: [true\n");
        h.Create(Registry("  - {kind: clair, managed: false}"));

        var blocked = await WaitForBlocked(h);

        Assert.Equal("ConfigInvalid", Text(Condition(blocked, "RolloutBlocked")!["reason"]));
        Assert.StartsWith("yaml: ", Text(Condition(blocked, "RolloutBlocked")!["message"]), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blocked_spec_change_keeps_the_running_registry_available()
    {
        await using var h = new OperatorHarness();
        h.CreateBundle("bundle", "FEATURE_USER_INITIALIZE: true\n");
        h.Create(Registry("  - {kind: clair, managed: true}"));
        var available = await h.WaitForAvailable("blocked");

        available["spec"]!["components"]!.AsArray().Single(c => Text(c!["kind"]) == "postgres")!["managed"] = false;
        var generation = h.Store.Update("quayregistries", Ns, available)["metadata"]!["generation"]!.GetValue<long>();
        var blocked = await WaitForBlocked(h);

        Assert.Equal("True", Text(Condition(blocked, "Available")!["status"]));
        Assert.True(blocked["status"]!["observedGeneration"]!.GetValue<long>() < generation);
        Assert.NotNull(h.Store.Get("deployments", Ns, "blocked-quay-database"));
    }
}
