namespace QuayGateway.Tests.Packaging;

/// <summary>
/// The chart's ClusterRole, rendered the way the chart tests read templates (<see cref="ChartYaml.Blank"/>: the rules
/// are plain YAML; only names and labels are templated), for the sandbox to bind the gateway's identity to.
/// </summary>
internal static class ChartRbac
{
    public static string ClusterRoleTemplatePath => Path.Combine(ChartYaml.ChartDir, "templates", "clusterrole.yaml");

    public static string RenderedClusterRole() => ChartYaml.Blank(File.ReadAllText(ClusterRoleTemplatePath));

    /// <summary>The rendered manifest in a file of its own (the <c>Gateway:Sandbox:GatewayRoleManifest</c> setting takes a path).</summary>
    public static string WriteRenderedClusterRole(string? manifest = null)
    {
        var path = Path.Combine(Path.GetTempPath(), $"qg-gateway-role-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(path, manifest ?? RenderedClusterRole());
        return path;
    }
}
