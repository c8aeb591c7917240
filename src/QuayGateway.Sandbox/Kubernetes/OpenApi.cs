using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// Just enough OpenAPI v3 for kubectl: one document per group-version, each with the kinds' schemas (the real CRD
/// schema for QuayRegistry, so <c>kubectl explain quayregistry.spec</c> works) and PATCH operations that declare
/// <c>fieldValidation</c>, which tells kubectl to leave field validation to the server. OpenAPI v2 answers 404,
/// as on a server that only serves v3; kubectl copes.
/// </summary>
internal static class OpenApi
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/openapi/v3", () => Json(new JsonObject
        {
            ["paths"] = new JsonObject(GroupVersions().Select(gv => KeyValuePair.Create(
                Prefix(gv.Group, gv.Version),
                (JsonNode?)new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{Prefix(gv.Group, gv.Version)}?hash={Hash(gv.Group, gv.Version)}" }))),
        }));
        app.MapGet("/openapi/v3/api/{version}", (string version) => Document("", version));
        app.MapGet("/openapi/v3/apis/{group}/{version}", (string group, string version) => Document(group, version));
    }

    private static IEnumerable<(string Group, string Version)> GroupVersions() =>
        ResourceTypes.Known.Select(t => (t.Group, t.Version)).Distinct();

    private static string Prefix(string group, string version) => group.Length == 0 ? $"api/{version}" : $"apis/{group}/{version}";

    /// <summary>kubectl caches documents by this hash, so it must change whenever a document does.</summary>
    private static string Hash(string group, string version) =>
        Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Build(group, version)!.ToJsonString(KubeJson.Options))))[..16];

    private static IResult Document(string group, string version) =>
        Build(group, version) is { } document
            ? Json(document)
            : Results.Text(KubernetesStatusException.NotFound("the server could not find the requested resource").ToStatus().ToJsonString(KubeJson.Options), "application/json", statusCode: 404);

    private static JsonObject? Build(string group, string version)
    {
        var types = ResourceTypes.Known.Where(t => t.Group == group && t.Version == version).ToList();
        if (types.Count == 0) return null;
        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var type in types)
        {
            // Operations name one kind, schemas a list of kinds: that is how the apiserver publishes them.
            var gvk = new JsonObject { ["group"] = type.Group, ["kind"] = type.Kind, ["version"] = type.Version };
            var item = type.Namespaced
                ? $"/{Prefix(group, version)}/namespaces/{{namespace}}/{type.Plural}/{{name}}"
                : $"/{Prefix(group, version)}/{type.Plural}/{{name}}";
            paths[item] = new JsonObject
            {
                ["patch"] = new JsonObject
                {
                    ["operationId"] = $"patch{type.Kind}",
                    ["parameters"] = new JsonArray(
                        Query("dryRun"), Query("fieldManager"), Query("fieldValidation"), Query("force")),
                    ["x-kubernetes-action"] = "patch",
                    ["x-kubernetes-group-version-kind"] = gvk.DeepClone(),
                },
            };
            var schema = type == ResourceTypes.QuayRegistries ? (JsonObject)QuayRegistryCrd.Instance.Schema.DeepClone() : Generic(type);
            schema["x-kubernetes-group-version-kind"] = new JsonArray(gvk);
            schemas[SchemaName(type)] = schema;
        }
        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = "v1.32.0" },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static string SchemaName(ResourceType type) => type.Group switch
    {
        "" => $"io.k8s.api.core.v1.{type.Kind}",
        "quay.redhat.com" => $"com.redhat.quay.v1.{type.Kind}",
        var g => $"io.k8s.api.{g}.{type.Version}.{type.Kind}",
    };

    /// <summary>Built-in kinds are described only at the top level; the sandbox does not carry the full core schemas.</summary>
    private static JsonObject Generic(ResourceType type) => new()
    {
        ["description"] = $"{type.Kind} (the sandbox describes built-in kinds only at the top level).",
        ["type"] = "object",
        ["x-kubernetes-preserve-unknown-fields"] = true,
        ["properties"] = new JsonObject
        {
            ["apiVersion"] = new JsonObject { ["type"] = "string", ["description"] = "APIVersion defines the versioned schema of this representation of an object." },
            ["kind"] = new JsonObject { ["type"] = "string", ["description"] = "Kind is a string value representing the REST resource this object represents." },
            ["metadata"] = new JsonObject { ["type"] = "object", ["description"] = "Standard object's metadata." },
        },
    };

    private static JsonObject Query(string name) => new()
    {
        ["name"] = name,
        ["in"] = "query",
        ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true },
    };

    private static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(KubeJson.Options), "application/json");
}
