using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;

namespace QuayGateway.Tests.Fuzz;

public sealed record ApiParameter(string Name, string In, bool Required, JsonNode Schema);

/// <summary>One operation of the document: what the fuzzer needs to build requests for it.</summary>
public sealed record ApiOperation(string Method, string PathTemplate, IReadOnlyList<ApiParameter> Parameters,
    JsonNode? BodySchema, JsonNode? BodyExample)
{
    public string Name => $"{Method} {PathTemplate}";
}

/// <summary>
/// The committed OpenAPI document, read as the fuzzer's map of the API: every operation in it is fuzzed, so a new
/// operation is covered without touching the suite.
/// </summary>
public sealed class ApiDocument
{
    private ApiDocument(JsonNode root)
    {
        Root = root;
        Operations = [.. ReadOperations(root)];
        Paths = [.. root["paths"]!.AsObject().Select(p => p.Key)];
    }

    public JsonNode Root { get; }

    public IReadOnlyList<ApiOperation> Operations { get; }

    public IReadOnlyList<string> Paths { get; }

    public static ApiDocument Parse(string json) => new(JsonNode.Parse(json)!);

    /// <summary>openapi/quay-gateway.v1.json of the repository this file was built from.</summary>
    public static ApiDocument LoadCommitted() =>
        Parse(File.ReadAllText(Path.Combine(RepositoryRoot(), "openapi", "quay-gateway.v1.json")));

    /// <summary>The schema a <c>$ref</c> points at (or the schema itself).</summary>
    public JsonNode Resolve(JsonNode schema)
    {
        for (var hops = 0; hops < 10 && (string?)schema["$ref"] is { } reference; hops++)
        {
            schema = reference.TrimStart('#').Split('/', StringSplitOptions.RemoveEmptyEntries)
                .Aggregate<string, JsonNode?>(Root, (node, segment) => node?[segment])
                ?? throw new InvalidOperationException($"Unresolvable $ref {reference}");
        }

        return schema;
    }

    private static IEnumerable<ApiOperation> ReadOperations(JsonNode root)
    {
        foreach (var (path, item) in root["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                if (method is "parameters" or "summary" or "description" or "servers")
                {
                    continue;
                }

                var parameters = (operation!["parameters"]?.AsArray() ?? []).Concat(item["parameters"]?.AsArray() ?? [])
                    .Select(p => new ApiParameter((string)p!["name"]!, (string)p["in"]!, (bool?)p["required"] ?? false,
                        p["schema"] ?? new JsonObject { ["type"] = "string" }))
                    .ToList();
                var json = operation["requestBody"]?["content"]?["application/json"];
                yield return new ApiOperation(method.ToUpperInvariant(), path, parameters, json?["schema"], json?["example"]);
            }
        }
    }

    private static string RepositoryRoot([CallerFilePath] string here = "")
    {
        var dir = new DirectoryInfo(Path.GetDirectoryName(here)!);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "QuayGateway.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"QuayGateway.sln not found above {here}.");
    }
}
