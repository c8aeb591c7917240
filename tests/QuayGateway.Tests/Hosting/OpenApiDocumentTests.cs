using System.Text.Json.Nodes;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// The committed openapi/quay-gateway.v1.json must match what the gateway serves. To regenerate it after an API
/// change: <c>QG_UPDATE_OPENAPI=1 dotnet test --filter OpenApiDocumentTests</c>.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiDocumentTests(GatewayFixture gateway)
{
    private static string CommittedPath => Path.Combine(RepositoryRoot(), "openapi", "quay-gateway.v1.json");

    [Fact]
    public async Task Committed_document_matches_the_served_one()
    {
        var served = JsonNode.Parse(await gateway.Client(apiKey: null).GetStringAsync("/swagger/v1/swagger.json"))!;
        var text = served.ToJsonString(new() { WriteIndented = true }) + "\n";
        if (Environment.GetEnvironmentVariable("QG_UPDATE_OPENAPI") == "1")
        {
            await File.WriteAllTextAsync(CommittedPath, text);
        }

        Assert.True(File.Exists(CommittedPath), $"{CommittedPath} is missing; run QG_UPDATE_OPENAPI=1 dotnet test --filter OpenApiDocumentTests");
        var committed = JsonNode.Parse(await File.ReadAllTextAsync(CommittedPath))!;
        Assert.True(JsonNode.DeepEquals(committed, served),
            "openapi/quay-gateway.v1.json is out of date; regenerate it: QG_UPDATE_OPENAPI=1 dotnet test --filter OpenApiDocumentTests");
    }

    [Fact]
    public async Task Every_operation_has_an_id_summary_and_description_and_requests_have_examples()
    {
        var document = JsonNode.Parse(await gateway.Client(apiKey: null).GetStringAsync("/swagger/v1/swagger.json"))!;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                Assert.False(string.IsNullOrEmpty((string?)operation!["operationId"]), $"{method} {path} has no operationId");
                Assert.False(string.IsNullOrEmpty((string?)operation["summary"]), $"{method} {path} has no summary");
                Assert.False(string.IsNullOrEmpty((string?)operation["description"]), $"{method} {path} has no description");
                if (operation["requestBody"]?["content"]?["application/json"] is { } body)
                {
                    Assert.True(body["example"] is not null, $"{method} {path} has no request example");
                }
            }
        }
    }

    private static string RepositoryRoot() => Packaging.Repo.Root;
}
