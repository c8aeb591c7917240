using QuayGateway.Tests.Packaging;

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

    [Fact]
    public void Only_dev_services_know_the_sandbox()
    {
        var graph = NamespaceGraph.Read(Path.Combine(AppContext.BaseDirectory, "QuayGateway.dll"),
            ns => ns == "(global)" || ns.StartsWith("QuayGateway", StringComparison.Ordinal));

        var users = graph.Edges.Where(e => e.Value.Keys.Any(to => to.StartsWith("QuayGateway.Sandbox", StringComparison.Ordinal)))
            .Select(e => e.Key);

        Assert.Equal(["QuayGateway.DevServices"], users);
    }

    [Theory]
    [InlineData("QuayGateway.Persistence")] // a leaf: features own their entities and mappings
    [InlineData("QuayGateway.Hosting", "QuayGateway.Persistence")] // readiness asks the database
    [InlineData("QuayGateway.Clusters", "QuayGateway.Hosting")] // an adapter that imports no feature
    [InlineData("QuayGateway.Jobs", "QuayGateway.Hosting", "QuayGateway.Persistence", "QuayGateway.Security")]
    [InlineData("QuayGateway.Registries.Model", "QuayGateway.Clusters", "QuayGateway.Persistence", "QuayGateway.Security",
        "QuayGateway.Webhooks.Delivery", "QuayGateway.Webhooks.Model")] // a model knows no endpoint, job or engine
    [InlineData("QuayGateway.Registries.Api", "QuayGateway.Audit", "QuayGateway.Clusters", "QuayGateway.Hosting", "QuayGateway.Jobs", "QuayGateway.Persistence",
        "QuayGateway.Registries.Model", "QuayGateway.Security", "QuayGateway.Tenants", "QuayGateway.Webhooks.Model")] // engine work goes through Jobs; the create writes its own audit entry
    [InlineData("QuayGateway.Webhooks.Model", "QuayGateway.Persistence")]
    [InlineData("QuayGateway.Webhooks.Delivery", "QuayGateway.Hosting", "QuayGateway.Jobs", "QuayGateway.Persistence", "QuayGateway.Webhooks.Model",
        "QuayGateway.Webhooks.Senders")] // announces any feature's news without knowing the feature
    public void Lower_layers_use_only_what_lies_below_them(string layer, params string[] allowed)
    {
        var uses = Read("QuayGateway").Edges[layer].Keys.Order(StringComparer.Ordinal);

        Assert.Empty(uses.Except(allowed));
    }

    [Fact]
    public void Every_dependency_points_down_the_layers_contributing_draws()
    {
        // CONTRIBUTING.md's picture lists the gateway's folders top to bottom; a folder may use only those below it.
        var contributing = File.ReadAllText(Path.Combine(Repo.Root, "CONTRIBUTING.md"));
        var picture = contributing[(contributing.IndexOf("```\nProgram.cs", StringComparison.Ordinal) + 4)..];
        picture = picture[..picture.IndexOf("```", StringComparison.Ordinal)];
        var layers = picture.Split('\n')
            .Select(line => line.Split(' ', 2)[0])
            .Where(folder => folder.Length > 0)
            .Select(folder => folder == "Program.cs" ? "(global)" : "QuayGateway." + folder.TrimEnd('/').Replace('/', '.'))
            .ToList();
        var graph = Read("QuayGateway");

        Assert.Empty(graph.Namespaces.Except(layers)); // every namespace is in the picture
        var upwards = from user in graph.Edges
                      from used in user.Value
                      where layers.IndexOf(used.Key) < layers.IndexOf(user.Key)
                      select $"{user.Key} → {used.Key} ({used.Value})";
        Assert.Empty(upwards);
    }

    [Fact]
    public void The_source_graph_sees_what_compiled_code_cannot()
    {
        // A const's value and a nameof are copied into the caller by the compiler, so only the source shows them.
        var dir = Directory.CreateTempSubdirectory("namespace-graph-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "Lower.cs"), """
                namespace Layers.Lower;
                public static class Names { public const string Scheme = "key"; public static int Count { get; } }
                """);
            File.WriteAllText(Path.Combine(dir, "Upper.cs"), """
                namespace Layers.Upper;
                public static class ByConst { public const string Scheme = Layers.Lower.Names.Scheme; }
                """);
            File.WriteAllText(Path.Combine(dir, "Top.cs"), """
                using Layers.Lower;
                namespace Layers.Top;
                public static class ByNameof { public static string Name => nameof(Names.Count); }
                """);

            var source = NamespaceGraph.ReadSource(dir, "Layers", _ => true);

            Assert.Contains("Layers.Lower", source.Edges["Layers.Upper"].Keys);
            Assert.Contains("Layers.Lower", source.Edges["Layers.Top"].Keys);
            Assert.DoesNotContain("Layers.Upper", source.Edges["Layers.Lower"].Keys);
            Assert.True(ReadSource("QuayGateway").Edges["(global)"].Count > 10); // Program.cs names every feature's setup
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>What the compiled assembly uses and what its source names: both must flow one way.</summary>
    internal static NamespaceGraph Read(string assembly) => Graphs.GetOrAdd(assembly, a =>
        NamespaceGraph.Read(Path.Combine(AppContext.BaseDirectory, a + ".dll"), Includes(a))
            .Union(ReadSource(a)));

    // Compiling a project's source takes seconds: once per assembly for all the tests.
    private static NamespaceGraph ReadSource(string assembly) => SourceGraphs.GetOrAdd(assembly, a =>
        NamespaceGraph.ReadSource(Repo.PathOf("src", a), a, Includes(a)));

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, NamespaceGraph> Graphs = new();
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, NamespaceGraph> SourceGraphs = new();

    private static Func<string, bool> Includes(string assembly) =>
        ns => ns == "(global)" || ns == assembly || ns.StartsWith(assembly + ".", StringComparison.Ordinal)
            && (assembly != "QuayGateway" || !ns.StartsWith("QuayGateway.Sandbox", StringComparison.Ordinal));
}
