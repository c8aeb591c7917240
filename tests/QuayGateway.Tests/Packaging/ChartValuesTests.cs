using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace QuayGateway.Tests.Packaging;

/// <summary>values.yaml and the example overrides in ci/ pass values.schema.json; mistakes an operator makes do not.</summary>
public sealed class ChartValuesTests
{
    private static readonly JsonSchema Schema = JsonSchema.FromFile(Path.Combine(ChartYaml.ChartDir, "values.schema.json"));

    private static JsonObject DefaultValues =>
        ChartYaml.ToJson(File.ReadAllText(Path.Combine(ChartYaml.ChartDir, "values.yaml")))!.AsObject();

    public static TheoryData<string> ExampleFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(ChartYaml.ChartDir, "ci"), "*.yaml").Order())
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Fact]
    public void Default_values_are_valid()
    {
        AssertValid(DefaultValues, "values.yaml");
    }

    [Theory]
    [MemberData(nameof(ExampleFiles))]
    public void Example_overrides_are_valid(string file)
    {
        var overrides = ChartYaml.ToJson(File.ReadAllText(Path.Combine(ChartYaml.ChartDir, "ci", file)))!.AsObject();
        AssertValid(ChartYaml.Merge(DefaultValues, overrides), file);
    }

    [Fact]
    public void There_are_example_overrides()
    {
        Assert.True(ExampleFiles().Count >= 2, "chart/quay-gateway/ci/ should hold example override files");
    }

    [Theory]
    [InlineData("replicaCount: two", "a string replica count")]
    [InlineData("replicas: 3", "an unknown top-level key (typo)")]
    [InlineData("clusters:\n  Prod_East:\n    inCluster: true", "a cluster name that is not a DNS label")]
    [InlineData("clusters:\n  east:\n    inCluster: true\n    kubeconfigSecret: {name: east-kubeconfig}", "a cluster both in-cluster and remote")]
    [InlineData("clusters:\n  east:\n    context: admin", "a cluster with neither inCluster nor a kubeconfig")]
    [InlineData("clusters:\n  east:\n    kubeconfigSecret: {key: kubeconfig}", "a kubeconfig Secret without a name")]
    [InlineData("database:\n  existingSecret: gw-db\n  connectionString: Host=db", "both an existing Secret and a connection string")]
    [InlineData("image:\n  pullPolicy: Sometimes", "an unknown pull policy")]
    [InlineData("route:\n  tls:\n    termination: none", "an unknown Route termination")]
    [InlineData("telemetry:\n  otlpEndpoint: collector:4317", "an OTLP endpoint without a scheme")]
    [InlineData("clusters:\n  east:\n    inCluster: true\n    appsDomain: https://apps.example.com", "an apps domain given as a URL")]
    [InlineData("clusters:\n  east:\n    inCluster: true\n    allowInsecureQuay: yes please", "a non-boolean allowInsecureQuay")]
    [InlineData("clusters:\n  east:\n    inCluster: true\n    allowedQuayDestinations: 10.0.0.0/8", "Quay destinations not as a list")]
    [InlineData("clusters:\n  east:\n    inCluster: true\n    allowedQuayDestinations: [\"10.0.0.0/8, 127.0.0.1\"]", "two Quay destinations in one item")]
    public void Invalid_values_are_rejected(string yaml, string what)
    {
        var values = ChartYaml.Merge(DefaultValues, ChartYaml.ToJson(yaml)!.AsObject());
        var result = Schema.Evaluate(JsonSerializer.SerializeToElement(values), new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.False(result.IsValid, $"the schema accepted {what}");
    }

    private static void AssertValid(JsonObject values, string what)
    {
        var result = Schema.Evaluate(JsonSerializer.SerializeToElement(values), new EvaluationOptions { OutputFormat = OutputFormat.List });
        var errors = (result.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}"));
        Assert.True(result.IsValid, $"{what} does not match values.schema.json:\n{string.Join('\n', errors)}");
    }
}
