namespace QuayGateway.Tests.Architecture;

/// <summary>
/// Dependencies between namespaces (which follow folders) flow one way: a circle anywhere in the gateway or the
/// sandbox fails here, naming each edge of it with an example, so the layering the README draws stays true.
/// </summary>
public class DependencyDirectionTests
{
    [Theory]
    [InlineData("QuayGateway")]
    [InlineData("QuayGateway.Sandbox")]
    public void Namespaces_form_no_circle(string assembly)
    {
        var graph = Read(assembly);

        var cycles = graph.Cycles();

        Assert.True(cycles.Count == 0, "Namespaces that use each other:\n" + string.Join("\n\n", cycles.Select(graph.Describe)));
    }

    [Fact]
    public void The_graph_sees_dependencies()
    {
        // Guards the test above against an analysis that finds nothing: these edges exist for sure.
        var graph = Read("QuayGateway");

        Assert.Contains("QuayGateway.Persistence", graph.Edges["(global)"].Keys);
        Assert.True(graph.Namespaces.Count() > 10);
    }

    internal static NamespaceGraph Read(string assembly) =>
        NamespaceGraph.Read(Path.Combine(AppContext.BaseDirectory, assembly + ".dll"),
            ns => ns == "(global)" || ns == assembly || ns.StartsWith(assembly + ".", StringComparison.Ordinal)
                && (assembly != "QuayGateway" || !ns.StartsWith("QuayGateway.Sandbox", StringComparison.Ordinal)));
}
