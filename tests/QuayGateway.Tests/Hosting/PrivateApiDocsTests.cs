using System.Net;
using System.Text.Json.Nodes;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// <c>Gateway:Auth:PublicApiDocs=false</c> serves neither Swagger UI nor the OpenAPI document, to anyone: a 404 problem
/// (the test host, with the default, serves both: AuthTests).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class PrivateApiDocsTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Without_public_api_docs_the_swagger_pages_and_the_document_are_not_found()
    {
        await using var process = await GatewayProcess.StartAsync(gateway.ConnectionString, GatewayFixture.AdminKey,
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false",
            "--Gateway:Auth:PublicApiDocs=false");

        foreach (var key in new[] { null, GatewayFixture.AdminKey })
        {
            using var http = new HttpClient { BaseAddress = new Uri(process.Url) };
            if (key is not null)
            {
                http.DefaultRequestHeaders.Add("X-Api-Key", key);
            }

            foreach (var path in new[] { "/swagger", "/swagger/index.html", "/swagger/v1/swagger.json" })
            {
                using var response = await http.GetAsync(path);
                Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
                Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
                Assert.Equal("https://quaygateway.dev/problems/not-found", (string?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["type"]);
            }

            using var api = await http.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.OK, api.StatusCode);
        }
    }
}
