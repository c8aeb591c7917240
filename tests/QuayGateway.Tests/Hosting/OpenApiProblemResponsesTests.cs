using System.Text.Json.Nodes;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>Every operation documents its errors as RFC 9457 problems with examples, and its security requirement.</summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiProblemResponsesTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Every_operation_documents_problem_responses_and_security()
    {
        var document = JsonNode.Parse(await gateway.Client(apiKey: null).GetStringAsync("/swagger/v1/swagger.json"))!;
        Assert.NotNull(document["components"]!["securitySchemes"]!["ApiKey"]);
        var operations = 0;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                operations++;
                var where = $"{method.ToUpperInvariant()} {path}";
                var responses = operation!["responses"]!.AsObject();
                Assert.True(operation["security"]?.AsArray().Any(s => s!["ApiKey"] is not null), $"{where} has no security requirement");
                Assert.True(responses.ContainsKey("401"), $"{where} does not document 401");
                Assert.True(responses.ContainsKey("500"), $"{where} does not document 500");
                if (path.Contains('{', StringComparison.Ordinal))
                {
                    Assert.True(responses.ContainsKey("404"), $"{where} does not document 404");
                }

                if (operation["requestBody"] is not null)
                {
                    Assert.True(responses.ContainsKey("400") && responses.ContainsKey("413") && responses.ContainsKey("415"),
                        $"{where} takes a body but does not document 400, 413 and 415");
                }

                foreach (var (status, response) in responses.Where(r => int.Parse(r.Key) >= 400))
                {
                    var content = response!["content"]!.AsObject();
                    Assert.Equal(["application/problem+json"], content.Select(c => c.Key));
                    var media = content["application/problem+json"]!;
                    Assert.EndsWith(status == "400" ? "/HttpValidationProblemDetails" : "/ProblemDetails", (string?)media["schema"]!["$ref"], StringComparison.Ordinal);
                    Assert.Equal(int.Parse(status), (int?)media["example"]?["status"]);
                    Assert.StartsWith("https://quaygateway.dev/problems/", (string?)media["example"]!["type"], StringComparison.Ordinal);
                }
            }
        }

        Assert.True(operations >= 6);
        Assert.True(document["paths"]!["/v1/registries"]!["post"]!["responses"]!.AsObject().ContainsKey("409"),
            "an operation with an Idempotency-Key documents 409");
    }
}
