using System.Text.Json;
using System.Text.Json.Nodes;
using k8s.Models;
using QuayGateway.Clusters;
using QuayGateway.Registries.Model;

namespace QuayGateway.Tests.Registries.Model;

public sealed class RegistryManifestTests
{
    private static Registry Registry(CreateRegistryRequest request) => new()
    {
        Tenant = "default", Cluster = "sandbox", Namespace = request.Namespace, Name = request.Name, Spec = RegistrySpec.From(request),
    };

    [Fact]
    public void A_minimal_request_becomes_a_labelled_annotated_quayregistry_without_spec_fields()
    {
        var registry = Registry(new CreateRegistryRequest("example-registry", "quay-enterprise", Labels: new Dictionary<string, string> { ["team"] = "payments" }));
        var manifest = RegistryManifest.Build(registry, live: null);

        Assert.Equal("quay.redhat.com/v1", manifest.ApiVersion);
        Assert.Equal("QuayRegistry", manifest.Kind);
        Assert.Equal("quay-gateway", manifest.Metadata.Labels["app.kubernetes.io/managed-by"]);
        Assert.Equal("payments", manifest.Metadata.Labels["team"]);
        Assert.Equal(registry.Id.ToString(), manifest.Metadata.Annotations[ClusterClient.RegistryIdAnnotation]);
        Assert.Empty(manifest.Spec!["components"]!.AsArray());
        Assert.False(manifest.Spec.ContainsKey("configBundleSecret"));
    }

    [Fact]
    public void An_inline_bundle_points_at_the_gateways_own_secret_and_a_named_one_at_itself()
    {
        var inline = Registry(new CreateRegistryRequest("r", "ns", ConfigBundle: new Dictionary<string, string> { ["config.yaml"] = "{}" }));
        var named = Registry(new CreateRegistryRequest("r", "ns", ConfigBundleSecret: "init-config-bundle-secret"));

        Assert.Equal("r-config-bundle", (string?)RegistryManifest.Build(inline, null).Spec!["configBundleSecret"]);
        Assert.Equal("init-config-bundle-secret", (string?)RegistryManifest.Build(named, null).Spec!["configBundleSecret"]);
    }

    [Fact]
    public void Reapplying_keeps_what_the_operator_wrote_back_and_changes_only_requested_kinds()
    {
        var registry = Registry(new CreateRegistryRequest("r", "ns", Components:
        [
            new("clair", false),
            new("quay", true, new Dictionary<string, JsonElement> { ["env"] = JsonDocument.Parse("""[{"name":"DEBUG","value":"true"}]""").RootElement }),
        ]));
        var live = new QuayRegistryResource
        {
            Metadata = new V1ObjectMeta { Name = "r", NamespaceProperty = "ns", Generation = 2 },
            Spec = JsonNode.Parse("""
                {"configBundleSecret":"r-config-bundle-x7k2p","components":[
                  {"kind":"clair","managed":false},{"kind":"postgres","managed":true},{"kind":"quay","managed":true},{"kind":"redis","managed":true}]}
                """)!.AsObject(),
        };

        var spec = RegistryManifest.Build(registry, live).Spec!;

        Assert.Equal("r-config-bundle-x7k2p", (string?)spec["configBundleSecret"]);
        var components = spec["components"]!.AsArray();
        Assert.Equal(["clair", "postgres", "quay", "redis"], components.Select(c => (string)c!["kind"]!));
        Assert.Equal("DEBUG", (string?)components[2]!["overrides"]!["env"]![0]!["name"]);
        Assert.Equal(live.Spec["components"]![1]!.ToJsonString(), components[1]!.ToJsonString());
    }
}
