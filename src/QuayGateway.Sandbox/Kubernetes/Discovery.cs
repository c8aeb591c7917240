using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// Legacy (non-aggregated) discovery: <c>/version</c>, <c>/api</c>, <c>/apis</c>, <c>/apis/{group}</c> and the
/// resource lists. kubectl asks for aggregated discovery first and falls back to these when the answer is plain JSON.
/// </summary>
internal static class Discovery
{
    private static readonly string[] Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
    private static readonly string[] StatusVerbs = ["get", "patch", "update"];

    public static void Map(IEndpointRouteBuilder app, Func<string> serverAddress)
    {
        app.MapGet("/version", () => Json(new JsonObject
        {
            ["major"] = "1",
            ["minor"] = "32",
            ["gitVersion"] = "v1.32.0-quaygateway-sandbox",
            ["gitCommit"] = "0000000000000000000000000000000000000000",
            ["gitTreeState"] = "clean",
            ["buildDate"] = "2026-01-01T00:00:00Z",
            ["goVersion"] = "go1.23.0",
            ["compiler"] = "gc",
            ["platform"] = "linux/amd64",
        }));
        app.MapGet("/api", () => Json(new JsonObject
        {
            ["kind"] = "APIVersions",
            ["versions"] = new JsonArray("v1"),
            ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress() }),
        }));
        app.MapGet("/apis", () => Json(new JsonObject
        {
            ["kind"] = "APIGroupList",
            ["apiVersion"] = "v1",
            ["groups"] = new JsonArray(Groups().Select(g => (JsonNode)Group(g)).ToArray()),
        }));
        app.MapGet("/apis/{group}", (string group) =>
            Groups().Contains(group) ? Json(Group(group)) : NotFound());
        app.MapGet("/api/v1", () => Json(ResourceList("", "v1")));
        app.MapGet("/apis/{group}/{version}", (string group, string version) =>
            Served.Any(t => t.Group == group && t.Version == version) ? Json(ResourceList(group, version)) : NotFound());
        foreach (var health in new[] { "/healthz", "/livez", "/readyz" }) app.MapGet(health, () => "ok");
    }

    /// <summary>The stored resources and SelfSubjectAccessReview (create only; served by <see cref="SandboxAuthorization"/>).</summary>
    private static IEnumerable<ResourceType> Served => ResourceTypes.Known.Append(SandboxAuthorization.AccessReviewType);

    private static IEnumerable<string> Groups() => Served.Select(t => t.Group).Where(g => g.Length > 0).Distinct();

    private static JsonObject Group(string group)
    {
        var version = Served.First(t => t.Group == group).Version;
        var groupVersion = new JsonObject { ["groupVersion"] = $"{group}/{version}", ["version"] = version };
        return new JsonObject
        {
            ["kind"] = "APIGroup",
            ["apiVersion"] = "v1",
            ["name"] = group,
            ["versions"] = new JsonArray(groupVersion),
            ["preferredVersion"] = groupVersion.DeepClone(),
        };
    }

    private static JsonObject ResourceList(string group, string version)
    {
        var resources = new JsonArray();
        foreach (var type in Served.Where(t => t.Group == group && t.Version == version))
        {
            var resource = new JsonObject
            {
                ["name"] = type.Plural,
                ["singularName"] = type.Singular,
                ["namespaced"] = type.Namespaced,
                ["kind"] = type.Kind,
                ["verbs"] = type == SandboxAuthorization.AccessReviewType
                    ? new JsonArray("create")
                    : new JsonArray(Verbs.Where(v => type != ResourceTypes.Namespaces || v != "deletecollection").Select(v => (JsonNode)v!).ToArray()),
            };
            if (type.ShortNames.Count > 0) resource["shortNames"] = new JsonArray(type.ShortNames.Select(s => (JsonNode)s!).ToArray());
            if (type.Categories.Count > 0) resource["categories"] = new JsonArray(type.Categories.Select(c => (JsonNode)c!).ToArray());
            resources.Add(resource);
            if (type.HasStatus)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = $"{type.Plural}/status",
                    ["singularName"] = "",
                    ["namespaced"] = type.Namespaced,
                    ["kind"] = type.Kind,
                    ["verbs"] = new JsonArray(StatusVerbs.Select(v => (JsonNode)v!).ToArray()),
                });
            }
        }
        return new JsonObject
        {
            ["kind"] = "APIResourceList",
            ["apiVersion"] = "v1",
            ["groupVersion"] = group.Length == 0 ? version : $"{group}/{version}",
            ["resources"] = resources,
        };
    }

    private static IResult Json(JsonObject body) => Results.Text(body.ToJsonString(KubeJson.Options), "application/json");

    private static IResult NotFound() =>
        Results.Text(KubernetesStatusException.NotFound("the server could not find the requested resource").ToStatus().ToJsonString(KubeJson.Options), "application/json", statusCode: 404);
}
