using System.Reflection;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Audit;
using QuayGateway.Hosting;
using QuayGateway.Quay;
using QuayGateway.Registries.Api;
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
        { "TimelineEntry", "type", Enum.GetNames<TimelineEntryType>() },
        { "QuayCredentialsView", "kind", [.. QuayCredentialKinds.All] },
        { "RegistryQuayAccess", "kind", [.. QuayCredentialKinds.All] },
        { "QuayCredentialsView", "scopesBasis", ["granted", "verified-lower-bound"] },
        { "RegistryQuayAccess", "scopesBasis", ["granted", "verified-lower-bound"] },
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

    [Theory]
    [InlineData("/v1/events", "type")]
    [InlineData("/v1/registries/{id}/events", "type")]
    [InlineData("/v1/events", "state")]
    [InlineData("/v1/registries", "state")]
    public async Task Filters_on_a_closed_set_are_the_same_enums_as_the_answers(string path, string parameter)
    {
        var document = await DocumentAsync();
        var schemas = document["components"]!["schemas"]!;
        var declared = document["paths"]![path]!["get"]!["parameters"]!.AsArray().Single(p => (string?)p!["name"] == parameter)!["schema"]!;
        var reference = (string?)(declared["$ref"] ?? declared["allOf"]?[0]?["$ref"]);

        // The same named schema as the answer's property, not an inline copy: a generator makes one type of both.
        var answer = schemas["TimelineEntry"]!["properties"]![parameter]!;
        Assert.Equal((string?)(answer["$ref"] ?? answer["allOf"]?[0]?["$ref"]), reference);
        string[] expected = parameter == "type" ? Enum.GetNames<TimelineEntryType>() : Enum.GetNames<RegistryState>();
        Assert.Equal(expected, schemas[reference!.Split('/')[^1]]!["enum"]!.AsArray().Select(v => (string?)v));
    }

    [Fact]
    public async Task Fleet_counts_by_state_and_health_are_objects_with_every_value_as_a_required_integer()
    {
        var schema = (await DocumentAsync())["components"]!["schemas"]!["FleetStatusResponse"]!["properties"]!;
        foreach (var (property, keys) in new[]
                 {
                     ("byState", GetFleetStatus.CountedStates.Select(s => s.ToString()).ToArray()),
                     ("byHealth", GetFleetStatus.CountedHealth.Select(h => h.ToString()).ToArray()),
                 })
        {
            var map = schema[property]!;
            Assert.Equal("object", (string?)map["type"]);
            Assert.Equal(keys, map["properties"]!.AsObject().Select(p => p.Key));
            Assert.All(map["properties"]!.AsObject(), p => Assert.Equal("integer", (string?)p.Value!["type"]));
            Assert.Equal(keys.Order(StringComparer.Ordinal), map["required"]!.AsArray().Select(k => (string?)k).Order(StringComparer.Ordinal));
            Assert.False((bool?)map["additionalProperties"] ?? true);
        }

        // Deleted registries are not counted, and every other state is a key.
        Assert.Equal(Enum.GetValues<RegistryState>().Except([RegistryState.Deleted]), GetFleetStatus.CountedStates);
        Assert.Equal(Enum.GetValues<RegistryHealth>(), GetFleetStatus.CountedHealth);
    }

    [Fact]
    public void A_timeline_entry_can_only_be_written_with_a_type_of_the_enum_and_every_name_fits_the_column()
    {
        // Record, the entity and the reader's record take the enum: a free string no longer compiles.
        var record = typeof(RegistryTransitions).GetMethod(nameof(RegistryTransitions.Record))!;
        Assert.Equal(typeof(TimelineEntryType), record.GetParameters().Single(p => p.Name == "type").ParameterType);
        Assert.Equal(typeof(TimelineEntryType), typeof(RegistryEvent).GetProperty(nameof(RegistryEvent.Type))!.PropertyType);
        Assert.Equal(typeof(TimelineEntryType), typeof(TimelineRecord).GetProperty(nameof(TimelineRecord.Type))!.PropertyType);
        Assert.Equal(typeof(TimelineEntryType?), typeof(TimelineFilter).GetProperty(nameof(TimelineFilter.Type))!.PropertyType);

        // Stored and sent by name: names must fit the column (character varying(40)) and stay identifiers (SSE event names).
        Assert.All(Enum.GetNames<TimelineEntryType>(), name => Assert.Matches("^[A-Z][A-Za-z]{1,39}$", name));
    }

    [Fact]
    public async Task Every_type_in_the_timeline_table_is_one_of_the_enum_after_a_registry_runs_to_ready()
    {
        using var created = await gateway.Client().PostJsonAsync("/v1/registries",
            new CreateRegistryRequest("enum-flow", $"enum-{Guid.NewGuid():N}"[..20]));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, created.StatusCode);
        var id = (await created.ReadAsync<RegistryResponse>()).Id;
        var page = await GatewayFixture.EventuallyAsync(
            async () => await (await gateway.Client().GetAsync($"/v1/registries/{id}/events")).ReadAsync<TimelinePage>(),
            p => p.Items.Any(e => e is { Type: TimelineEntryType.StateChanged, State: RegistryState.Ready }), TimeSpan.FromSeconds(60));
        Assert.Contains(page.Items, e => e.Type == TimelineEntryType.ConditionChanged);

        // What every writer so far (this flow and the tests before it) stored, read as the column holds it.
        var stored = await gateway.WithDbAsync(db =>
            db.Database.SqlQueryRaw<string>("SELECT DISTINCT type AS \"Value\" FROM gateway.registry_events").ToListAsync());
        Assert.Contains(nameof(TimelineEntryType.StateChanged), stored);
        Assert.All(stored, type => Assert.True(Enum.IsDefined(typeof(TimelineEntryType), type), $"'{type}' is stored but not a {nameof(TimelineEntryType)}"));
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
