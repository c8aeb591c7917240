using System.Reflection;
using System.Text.Json.Nodes;
using QuayGateway.Audit;
using QuayGateway.Hosting;
using QuayGateway.Registries.Model;
using QuayGateway.Rollout;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// The served document is usable by a person and by a client generator: every property says what it is, closed sets
/// of values are enums taken from the code, examples look like real answers, every operation names the problem types
/// it can answer with, and the tags come in the order a user works in.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiQualityTests(GatewayFixture gateway)
{
    private async Task<JsonNode> DocumentAsync() =>
        JsonNode.Parse(await gateway.Client(apiKey: null).GetStringAsync(OpenApiSetup.DocumentPath))!;

    [Fact]
    public async Task Every_schema_property_has_a_description()
    {
        var document = await DocumentAsync();
        var missing = new List<string>();
        void Visit(JsonObject schema, string where)
        {
            foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
            {
                if (string.IsNullOrWhiteSpace((string?)property!["description"]))
                {
                    missing.Add($"{where}.{name}");
                }

                if (property["properties"] is JsonObject)
                {
                    Visit(property.AsObject(), $"{where}.{name}");
                }
            }

            foreach (var part in schema["allOf"]?.AsArray() ?? [])
            {
                if (part is JsonObject inline && inline["$ref"] is null)
                {
                    Visit(inline, where);
                }
            }
        }

        var schemas = document["components"]!["schemas"]!.AsObject();
        foreach (var (name, schema) in schemas)
        {
            Visit(schema!.AsObject(), name);
        }

        Assert.True(schemas.Count >= 60);
        Assert.True(missing.Count == 0, "Properties without a description:\n" + string.Join("\n", missing));
    }

    [Fact]
    public async Task Every_parameter_has_a_description()
    {
        var document = await DocumentAsync();
        var missing = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject().SelectMany(o => (o.Value!["parameters"]?.AsArray() ?? [])
                .Where(parameter => string.IsNullOrWhiteSpace((string?)parameter!["description"]))
                .Select(parameter => $"{o.Key.ToUpperInvariant()} {p.Key} {parameter!["name"]}")))
            .ToList();

        Assert.True(missing.Count == 0, "Parameters without a description:\n" + string.Join("\n", missing));
    }

    public static TheoryData<string, string, string[]> KnownEnums => new()
    {
        { "RegistryResponse", "state", Enum.GetNames<RegistryState>() },
        { "RegistryResponse", "health", Enum.GetNames<RegistryHealth>() },
        { "RegistryStatusResponse", "state", Enum.GetNames<RegistryState>() },
        { "RegistryStatusResponse", "health", Enum.GetNames<RegistryHealth>() },
        { "UnhealthyRegistry", "state", Enum.GetNames<RegistryState>() },
        { "UnhealthyRegistry", "health", Enum.GetNames<RegistryHealth>() },
        { "TimelineEntry", "state", Enum.GetNames<RegistryState>() },
        { "ComponentSpec", "kind", [.. QuayComponents.Kinds] },
        { "ComponentView", "kind", [.. QuayComponents.Kinds] },
        { "QuayRegistryObjectComponent", "kind", [.. QuayComponents.Kinds] },
        { "CreateWebhookRequest", "events", [.. WebhookEventTypes.All] },
        { "UpdateWebhookRequest", "events", [.. WebhookEventTypes.All] },
        { "WebhookResponse", "events", [.. WebhookEventTypes.All] },
        { "CreatedWebhookResponse", "events", [.. WebhookEventTypes.All] },
        { "DeliveryResponse", "eventType", [.. WebhookEventTypes.All, WebhookEventTypes.Ping] },
        { "DeliveryResponse", "status", Enum.GetNames<DeliveryStatus>() },
        { "CreateWebhookRequest", "kind", [.. WebhookKinds.All] },
        { "WebhookResponse", "kind", [.. WebhookKinds.All] },
        { "CreatedWebhookResponse", "kind", [.. WebhookKinds.All] },
        { "CreateApiKeyRequest", "scopes", [.. Scopes.All] },
        { "ApiKeyResponse", "scopes", [.. Scopes.All] },
        { "CreatedApiKeyResponse", "scopes", [.. Scopes.All] },
        { "TeamSpec", "role", [.. OrganizationResourceRules.TeamRoles] },
        { "PutTeamRequest", "role", [.. OrganizationResourceRules.TeamRoles] },
        { "TeamState", "role", [.. OrganizationResourceRules.TeamRoles] },
        { "AuditEntryResponse", "outcome", [.. AuditOutcomes.All] },
        { "ClusterView", "kind", [.. ClustersApi.Kinds] },
    };

    [Theory]
    [MemberData(nameof(KnownEnums))]
    public async Task Closed_sets_of_values_are_enums_from_the_code(string schema, string property, string[] values)
    {
        var document = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!;
        var node = schemas[schema]?["properties"]?[property];
        Assert.True(node is not null, $"{schema}.{property} is not in the document");

        // An array's items, a $ref (wrapped in allOf to carry nullable or a description), or the schema itself.
        if ((string?)node["type"] == "array" || node["items"] is not null)
        {
            node = node["items"]!;
        }

        if ((node["allOf"]?[0]?["$ref"] ?? node["$ref"]) is { } reference)
        {
            node = schemas[((string)reference!).Split('/')[^1]]!;
        }

        var documented = node["enum"]?.AsArray().Select(v => (string?)v).ToArray();
        Assert.True(documented is not null, $"{schema}.{property} is a plain string, not an enum");
        Assert.Equal(values, documented);
    }

    [Fact]
    public async Task Examples_carry_realistic_values_and_every_json_answer_has_one()
    {
        var document = await DocumentAsync();
        var placeholders = new List<string>();
        void Check(JsonNode? example, string where)
        {
            switch (example)
            {
                case JsonObject o:
                    foreach (var (key, value) in o)
                    {
                        if (key.StartsWith("additionalProp", StringComparison.Ordinal))
                        {
                            placeholders.Add($"{where}.{key}");
                        }

                        Check(value, $"{where}.{key}");
                    }

                    break;
                case JsonArray a:
                    for (var i = 0; i < a.Count; i++)
                    {
                        Check(a[i], $"{where}[{i}]");
                    }

                    break;
                case JsonValue v when v.TryGetValue<string>(out var s) && (s is "string" or "" || s.StartsWith("additionalProp", StringComparison.Ordinal)):
                    placeholders.Add($"{where} = \"{s}\"");
                    break;
            }
        }

        void Walk(JsonNode? node, string where)
        {
            if (node is JsonObject o)
            {
                foreach (var (key, value) in o)
                {
                    if (key is "example")
                    {
                        Check(value, $"{where}.example");
                    }
                    else if (key is "examples" && value is JsonObject named)
                    {
                        foreach (var (name, e) in named)
                        {
                            Check(e?["value"], $"{where}.examples.{name}");
                        }
                    }
                    else
                    {
                        Walk(value, $"{where}/{key}");
                    }
                }
            }
            else if (node is JsonArray a)
            {
                for (var i = 0; i < a.Count; i++)
                {
                    Walk(a[i], $"{where}/{i}");
                }
            }
        }

        Walk(document, "#");
        Assert.True(placeholders.Count == 0, "Placeholder values in examples:\n" + string.Join("\n", placeholders));

        var schemas = document["components"]!["schemas"]!;
        var without = new List<string>();
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                foreach (var (status, response) in operation!["responses"]!.AsObject())
                {
                    if (status.StartsWith('2') && response!["content"]?["application/json"] is { } media && media["example"] is null)
                    {
                        var schema = media["schema"]!;
                        schema = schema["items"] ?? schema;
                        var target = (schema["$ref"] ?? schema["allOf"]?[0]?["$ref"]) is { } reference ? schemas[((string)reference!).Split('/')[^1]] : schema;
                        // Quay's own answers passed through as sent (no properties to show) need none.
                        if (target?["example"] is null && target?["properties"] is not null)
                        {
                            without.Add($"{method.ToUpperInvariant()} {path} {status}");
                        }
                    }
                }
            }
        }

        Assert.True(without.Count == 0, "JSON answers without an example:\n" + string.Join("\n", without));
        Assert.Equal("swagger-registry", (string?)schemas["RegistryResponse"]!["example"]!["name"]);
        Assert.True(DateTimeOffset.TryParse((string?)schemas["RegistryResponse"]!["example"]!["createdAt"], out _));
        Assert.True(Guid.TryParse((string?)schemas["RegistryResponse"]!["example"]!["id"], out _));
    }

    [Fact]
    public async Task Every_operation_lists_the_problem_types_it_can_answer_with()
    {
        var document = await DocumentAsync();
        var known = typeof(ProblemTypes).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetValue(null)!).ToHashSet(StringComparer.Ordinal);
        var operations = 0;
        foreach (var (path, item) in document["paths"]!.AsObject())
        {
            foreach (var (method, operation) in item!.AsObject())
            {
                operations++;
                var where = $"{method.ToUpperInvariant()} {path}";
                var listed = operation![GatewayOperationFilter.ProblemTypesExtension]?.AsArray().Select(t => (string)t!).ToList();
                Assert.True(listed is { Count: > 0 }, $"{where} lists no problem types ({GatewayOperationFilter.ProblemTypesExtension})");
                Assert.Empty(listed.Except(known));

                // The list is exactly the types its problem responses carry, and each of those is application/problem+json.
                var carried = new SortedSet<string>(StringComparer.Ordinal);
                foreach (var (status, response) in operation["responses"]!.AsObject())
                {
                    if (int.Parse(status) < 400)
                    {
                        continue;
                    }

                    var media = response!["content"]?[GatewayOperationFilter.ProblemMediaType];
                    Assert.True(media is not null, $"{where} {status} is not {GatewayOperationFilter.ProblemMediaType}");
                    carried.UnionWith(media["schema"]!["allOf"]![1]!["properties"]!["type"]!["enum"]!.AsArray().Select(t => (string)t!));
                    foreach (var type in media["schema"]!["allOf"]![1]!["properties"]!["type"]!["enum"]!.AsArray())
                    {
                        Assert.Contains(((string)type!)[((string)type!).LastIndexOf('/')..].TrimStart('/'), (string?)response["description"]);
                    }
                }

                Assert.Equal(carried, listed);
            }
        }

        Assert.True(operations >= 28);
    }

    [Fact]
    public async Task Tags_come_in_the_order_a_user_works_in()
    {
        var document = await DocumentAsync();
        var tags = document["tags"]!.AsArray().Select(t => (Name: (string)t!["name"]!, Description: (string?)t["description"])).ToList();
        var used = document["paths"]!.AsObject()
            .SelectMany(p => p.Value!.AsObject())
            .SelectMany(o => o.Value!["tags"]?.AsArray().Select(t => (string)t!) ?? [])
            .ToHashSet(StringComparer.Ordinal);

        Assert.Equal("Registries", tags[0].Name);
        Assert.Equal(OpenApiSetup.Tags.Select(t => t.Name).Where(used.Contains), tags.Select(t => t.Name));
        Assert.Equal(used.Order(StringComparer.Ordinal), tags.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(tags, t => Assert.False(string.IsNullOrWhiteSpace(t.Description), $"tag {t.Name} has no description"));
    }
}
