using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>Binds the gateway's identity to the roles of a rendered manifest (the chart's ClusterRole).</summary>
internal static partial class GatewayRole
{
    public const string Name = "quay-gateway";

    /// <summary>
    /// The chart's ClusterRole (<c>chart/quay-gateway/templates/clusterrole.yaml</c>, embedded at build), rendered:
    /// its rules are plain YAML; only the name, labels and the <c>rbac.create</c> guard are templated, and those lines
    /// are dropped or blanked. Null when the build had no <c>chart/</c> folder (the container image).
    /// </summary>
    public static string? ChartManifest { get; } = LoadChartManifest();

    private static string? LoadChartManifest()
    {
        using var stream = typeof(GatewayRole).Assembly.GetManifestResourceStream("chart-clusterrole.yaml");
        if (stream is null) return null;
        using var reader = new StreamReader(stream);
        return BlankTemplate(reader.ReadToEnd(), "templated");
    }

    /// <summary>
    /// A Helm template as plain YAML: lines that hold only template actions go, and inline actions become
    /// <paramref name="placeholder"/>. The chart tests read templates the same way (ChartYaml.Blank).
    /// </summary>
    internal static string BlankTemplate(string template, string placeholder) =>
        string.Join('\n', template.Split('\n')
            .Where(line => !ActionOnlyLine().IsMatch(line))
            .Select(line => InlineAction().Replace(line, placeholder)));

    [GeneratedRegex(@"^\s*(\{\{.*?\}\}\s*)+$")]
    private static partial Regex ActionOnlyLine();

    [GeneratedRegex(@"\{\{.*?\}\}")]
    private static partial Regex InlineAction();

    /// <summary>Each ClusterRole of the manifest becomes <c>quay-gateway</c> (then <c>quay-gateway-2</c> …) with a ClusterRoleBinding to the identity.</summary>
    public static void Bind(ObjectStore store, string manifest, UserInfo identity)
    {
        var account = UserInfo.ParseServiceAccount(identity.Name) ?? throw new ArgumentException("the gateway identity is a service account", nameof(identity));
        var roles = RequestBody.FromYamlDocuments(manifest).OfType<JsonObject>().Where(d => d["kind"].Str() == "ClusterRole").ToList();
        if (roles.Count == 0) throw new ArgumentException("the gateway's RBAC manifest holds no ClusterRole", nameof(manifest));
        for (var i = 0; i < roles.Count; i++)
        {
            var name = i == 0 ? Name : $"{Name}-{i + 1}";
            // A kept state (SandboxOptions.StateDirectory) may hold them from the last start: replaced by this manifest's.
            foreach (var kind in new[] { ResourceTypes.ClusterRoleBindings, ResourceTypes.ClusterRoles })
            {
                if (store.Get(kind.Plural, null, name) is not null) store.Delete(kind.Plural, null, name);
            }
            store.Create(ResourceTypes.ClusterRoles.Plural, null, new JsonObject
            {
                ["apiVersion"] = $"{RbacAuthorizer.Group}/v1",
                ["kind"] = "ClusterRole",
                ["metadata"] = new JsonObject { ["name"] = name },
                ["rules"] = roles[i]["rules"]?.DeepClone() ?? new JsonArray(),
            });
            store.Create(ResourceTypes.ClusterRoleBindings.Plural, null, new JsonObject
            {
                ["apiVersion"] = $"{RbacAuthorizer.Group}/v1",
                ["kind"] = "ClusterRoleBinding",
                ["metadata"] = new JsonObject { ["name"] = name },
                ["roleRef"] = new JsonObject { ["apiGroup"] = RbacAuthorizer.Group, ["kind"] = "ClusterRole", ["name"] = name },
                ["subjects"] = new JsonArray(new JsonObject { ["kind"] = "ServiceAccount", ["name"] = account.Name, ["namespace"] = account.Namespace }),
            });
        }
    }
}
