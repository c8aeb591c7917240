namespace QuayGateway.Tests.Packaging;

/// <summary>
/// The chart's ClusterRole, rendered the way the chart tests read templates (<see cref="ChartYaml.Blank"/>: the rules
/// are plain YAML; only names and labels are templated), which the sandbox binds the gateway's identity to
/// (the sandbox embeds the template itself: <c>SandboxCluster.ChartGatewayRoleManifest</c>).
/// </summary>
internal static class ChartRbac
{
    public static string ClusterRoleTemplatePath => Path.Combine(ChartYaml.ChartDir, "templates", "clusterrole.yaml");

    public static string RenderedClusterRole() => ChartYaml.Blank(File.ReadAllText(ClusterRoleTemplatePath));
}
