using System.Security.Claims;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Clusters;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using YamlDotNet.Serialization;

namespace QuayGateway.Registries.Api;

/// <summary>The QuayRegistry as the gateway applied it (null before the first apply) and as it is live (null when absent).</summary>
/// <param name="Applied">The QuayRegistry as the gateway last applied it; null before the first apply.</param>
/// <param name="Live">The QuayRegistry as it is in the cluster now, with the operator's status; null when it does not exist.</param>
public sealed record ManifestResponse(
    [property: DocumentedAs(typeof(QuayRegistryObject))] JsonNode? Applied,
    [property: DocumentedAs(typeof(QuayRegistryObject))] JsonNode? Live);

/// <summary><c>GET /v1/registries/{id}/manifest</c>: the QuayRegistry as the gateway applied it and as it is live, in JSON or YAML.</summary>
public static class GetRegistryManifest
{
    public static async Task<Results<Ok<ManifestResponse>, ContentHttpResult, ProblemHttpResult, ValidationProblem>> HandleAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, ClusterConnections clusters, CancellationToken ct, string? format = null)
    {
        if (format is not (null or "json" or "yaml"))
        {
            return Problems.Validation(new Dictionary<string, string[]> { ["format"] = ["format is 'json' (the default) or 'yaml'."] });
        }

        var registry = await db.OfTenant(user).AsNoTracking().FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        JsonNode? live;
        try
        {
            live = registry.State == RegistryState.Deleted || registry.AppliedSpecVersion == 0
                ? null
                : await clusters.Get(registry.Cluster).GetQuayRegistryAsync(registry.Namespace, registry.Name, ct) is { } resource
                    ? JsonNode.Parse(RegistryManifest.ToJson(resource))
                    : null;
        }
        catch (ClusterCallException e)
        {
            return Problems.Problem(StatusCodes.Status502BadGateway, ProblemTypes.ClusterUnavailable, "Cluster unavailable",
                $"Cluster '{registry.Cluster}' could not be read: {e.Message}");
        }

        var applied = registry.AppliedManifest is null ? null : JsonNode.Parse(registry.AppliedManifest);
        if (format != "yaml")
        {
            return TypedResults.Ok(new ManifestResponse(applied, live));
        }

        var yaml = $"# As applied by the gateway\n{ToYaml(applied)}---\n# As live in cluster '{registry.Cluster}'\n{ToYaml(live)}";
        return TypedResults.Text(yaml, "application/yaml");
    }

    /// <summary>JSON → YAML through plain dictionaries and lists, so YamlDotNet writes a normal block document.</summary>
    private static string ToYaml(JsonNode? node) =>
        node is null ? "null\n" : new SerializerBuilder().Build().Serialize(Plain(node));

    private static object? Plain(JsonNode? node) => node switch
    {
        JsonObject o => o.ToDictionary(p => p.Key, p => Plain(p.Value)),
        JsonArray a => a.Select(Plain).ToList(),
        JsonValue v => v.GetValueKind() switch
        {
            System.Text.Json.JsonValueKind.String => v.GetValue<string>(),
            System.Text.Json.JsonValueKind.True => true,
            System.Text.Json.JsonValueKind.False => false,
            System.Text.Json.JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        },
        _ => null,
    };
}
