using System.Text.Json.Nodes;
using QuayGateway.Hosting;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>The validator the document's truth tests rely on catches each kind of lie.</summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiValidatorTests(GatewayFixture gateway)
{
    private const string Json = "application/json; charset=utf-8";
    private const string Problem = "application/problem+json";

    [Fact]
    public async Task It_catches_undocumented_statuses_types_headers_and_bodies()
    {
        var document = JsonNode.Parse(await gateway.Client(apiKey: null).GetStringAsync(OpenApiSetup.DocumentPath))!;
        var notFound = """{"type":"https://quaygateway.dev/problems/not-found","title":"Not found","status":404,"detail":"x","instance":"/v1/registries/1","traceId":"t"}""";
        Assert.Empty(OpenApiValidator.Check(document, "/v1/registries/{id}", "GET", 404, Problem, notFound));

        Assert.Single(OpenApiValidator.Check(document, "/v1/registries/{id}", "GET", 418, Problem, notFound));
        Assert.Single(OpenApiValidator.Check(document, "/v1/registries/{id}", "GET", 404, "text/html", "<html/>"));
        Assert.Single(OpenApiValidator.Check(document, "/v1/registries/{id}", "GET", 404, Problem, notFound.Replace("not-found", "forbidden", StringComparison.Ordinal)));
        Assert.Single(OpenApiValidator.Check(document, "/v1/registries/{id}", "GET", 404, Problem, notFound.Replace("\"traceId\":\"t\"", "\"traceId\":null", StringComparison.Ordinal)));
        Assert.Single(OpenApiValidator.Check(document, "/v1/registries/{id}", "GET", 404, Problem, notFound.Replace("}", ",\"extra\":1}", StringComparison.Ordinal)));
        Assert.Single(OpenApiValidator.Check(document, "/v1/registries/{id}", "GET", 503, Problem, notFound.Replace("not-found", "service-unavailable", StringComparison.Ordinal).Replace("404", "503", StringComparison.Ordinal)));

        var cluster = """{"name":"sandbox","kind":"sandbox","isDefault":true,"reachable":true,"version":null,"error":null,"watcher":null}""";
        Assert.Empty(OpenApiValidator.Check(document, "/v1/clusters", "GET", 200, Json, $"[{cluster}]"));
        Assert.Single(OpenApiValidator.Check(document, "/v1/clusters", "GET", 200, Json, $"[{cluster.Replace("\"name\":\"sandbox\"", "\"name\":null", StringComparison.Ordinal)}]"));
        Assert.Single(OpenApiValidator.Check(document, "/v1/clusters", "GET", 200, Json, $"[{cluster.Replace("\"name\":\"sandbox\",", "", StringComparison.Ordinal)}]"));

        // A 202 without its Location.
        Assert.Contains(OpenApiValidator.Check(document, "/v1/registries/{id}/retry", "POST", 202, Json, "{}"), v => v.Contains("Location", StringComparison.Ordinal));
    }
}
