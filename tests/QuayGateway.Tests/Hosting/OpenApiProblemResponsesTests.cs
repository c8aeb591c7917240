using System.Text.Json.Nodes;
using QuayGateway.Hosting;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// Every operation documents its refusals as RFC 9457 problems, each status with the problem types it can carry, and
/// the headers its answers have; and its security requirement.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiProblemResponsesTests(GatewayFixture gateway)
{
    private const string Problems = "https://quaygateway.dev/problems/";

    [Fact]
    public async Task Every_operation_documents_problem_responses_headers_and_security()
    {
        var document = JsonNode.Parse(await gateway.Client(apiKey: null).GetStringAsync(OpenApiSetup.DocumentPath))!;
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

                // The guards every request passes, and the outage every operation can meet.
                Assert.Equal(Problems + "validation-failed", TypesOf(responses, 400, where).First(t => t.EndsWith("validation-failed", StringComparison.Ordinal)));
                Assert.Contains(Problems + "unauthorized", TypesOf(responses, 401, where));
                Assert.Contains(Problems + "forbidden", TypesOf(responses, 403, where));
                Assert.Contains(Problems + "payload-too-large", TypesOf(responses, 413, where));
                Assert.Contains(Problems + "uri-too-long", TypesOf(responses, 414, where));
                Assert.Contains(Problems + "unsupported-media-type", TypesOf(responses, 415, where));
                Assert.Contains(Problems + "headers-too-large", TypesOf(responses, 431, where));
                Assert.Contains(Problems + "internal-error", TypesOf(responses, 500, where));
                Assert.Contains(Problems + "service-unavailable", TypesOf(responses, 503, where));
                Assert.True(responses["503"]!["headers"]?["Retry-After"] is not null, $"{where}: 503 without Retry-After");
                if (path.Contains('{', StringComparison.Ordinal))
                {
                    Assert.Contains(Problems + "not-found", TypesOf(responses, 404, where));
                }

                if (operation["requestBody"] is not null)
                {
                    Assert.Contains(Problems + "malformed-request", TypesOf(responses, 400, where));
                }

                if (operation["parameters"]?.AsArray().Any(p => (string?)p!["name"] == "If-Match") == true)
                {
                    Assert.Contains(Problems + "precondition-failed", TypesOf(responses, 412, where));
                }

                foreach (var (status, response) in responses)
                {
                    var code = int.Parse(status);
                    if (code is 201 or 202)
                    {
                        Assert.True(response!["headers"]?["Location"]?["required"]?.GetValue<bool>() == true, $"{where}: {status} without Location");
                    }

                    if (code < 400)
                    {
                        continue;
                    }

                    var content = response!["content"]!.AsObject();
                    Assert.Equal(["application/problem+json"], content.Select(c => c.Key));
                    var media = content["application/problem+json"]!;
                    Assert.EndsWith(code == 400 ? "/HttpValidationProblemDetails" : "/ProblemDetails", (string?)media["schema"]!["allOf"]![0]!["$ref"], StringComparison.Ordinal);
                    Assert.Equal(code, (int?)media["example"]?["status"]);
                    Assert.Contains((string?)media["example"]!["type"], TypesOf(responses, code, where));
                }
            }
        }

        Assert.True(operations >= 28);
        var paths = document["paths"]!;
        Assert.Equal([Problems + "already-exists", Problems + "idempotency-key-reused"], TypesOf(paths["/v1/registries"]!["post"]!["responses"]!.AsObject(), 409, "POST /v1/registries"));
        Assert.NotNull(paths["/v1/registries/{id}"]!["get"]!["responses"]!["200"]!["headers"]!["ETag"]);
        Assert.NotNull(paths["/v1/registries/{id}"]!["get"]!["responses"]!["304"]!["headers"]!["ETag"]);
        Assert.NotNull(paths["/v1/registries/{id}/events"]!["get"]!["responses"]!["200"]!["content"]!["text/event-stream"]);
        Assert.NotNull(paths["/v1/registries/{id}/manifest"]!["get"]!["responses"]!["200"]!["content"]!["application/yaml"]);
        Assert.Contains(Problems + "quay-timeout", TypesOf(paths["/v1/registries/{id}/quay/users"]!["get"]!["responses"]!.AsObject(), 504, "GET quay/users"));
    }

    [Fact]
    public async Task No_schema_is_a_free_object_unless_it_says_why()
    {
        var document = JsonNode.Parse(await gateway.Client(apiKey: null).GetStringAsync(OpenApiSetup.DocumentPath))!;
        var free = new List<string>();
        void Visit(JsonNode? node, string where)
        {
            if (node is JsonObject o)
            {
                // An object with no properties that takes anything, or an empty schema: it must say what it is.
                var open = o["additionalProperties"] is JsonObject { Count: 0 };
                if ((o.Count == 0 || (o["type"]?.ToString() == "object" && o["properties"] is null && open)) && o["description"] is null && o.Parent?["description"] is null)
                {
                    free.Add(where);
                }

                foreach (var (name, child) in o)
                {
                    if (name is not ("example" or "examples"))
                    {
                        Visit(child, $"{where}/{name}");
                    }
                }
            }
            else if (node is JsonArray a)
            {
                for (var i = 0; i < a.Count; i++)
                {
                    Visit(a[i], $"{where}/{i}");
                }
            }
        }

        Visit(document["components"]!["schemas"], "#/components/schemas");
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                foreach (var (status, response) in operation!["responses"]!.AsObject())
                {
                    foreach (var (type, media) in response!["content"]?.AsObject() ?? [])
                    {
                        Visit(media!["schema"], $"{method} {path} {status} {type}");
                    }
                }
            }
        }

        Assert.Empty(free);
    }

    private static List<string> TypesOf(JsonObject responses, int status, string where)
    {
        Assert.True(responses.ContainsKey(status.ToString()), $"{where} does not document {status}");
        var narrowed = responses[status.ToString()]!["content"]!["application/problem+json"]!["schema"]!["allOf"]![1]!;
        Assert.Equal(status, (int?)narrowed["properties"]!["status"]!["enum"]![0]);
        return narrowed["properties"]!["type"]!["enum"]!.AsArray().Select(t => (string)t!).ToList();
    }
}
