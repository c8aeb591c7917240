using System.Reflection.PortableExecutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace QuayGateway.Tests.Architecture;

public sealed partial class NamespaceGraph
{
    // Microsoft.NET.Sdk.Web's implicit usings (the sandbox's csproj adds the same by hand).
    private static readonly string[] ImplicitUsings =
    [
        "System", "System.Collections.Generic", "System.IO", "System.Linq", "System.Net.Http", "System.Net.Http.Json",
        "System.Threading", "System.Threading.Tasks", "Microsoft.AspNetCore.Builder", "Microsoft.AspNetCore.Hosting",
        "Microsoft.AspNetCore.Http", "Microsoft.AspNetCore.Routing", "Microsoft.Extensions.Configuration",
        "Microsoft.Extensions.DependencyInjection", "Microsoft.Extensions.Hosting", "Microsoft.Extensions.Logging",
    ];

    /// <summary>
    /// Which namespace names which, read from a project's source with the compiler's binding: every type or member a
    /// name resolves to, consts and <c>nameof</c> included. The compiled assembly itself is left out of the references,
    /// so the source's own declarations are what names bind to; the other assemblies of the test's output are in.
    /// </summary>
    public static NamespaceGraph ReadSource(string sourceDir, string assemblyName, Func<string, bool> include)
    {
        var parse = new CSharpParseOptions(LanguageVersion.Preview, DocumentationMode.None);
        var trees = Directory.EnumerateFiles(sourceDir, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "obj" or "bin"))
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), parse, Path.GetRelativePath(sourceDir, f)))
            .Append(CSharpSyntaxTree.ParseText(string.Concat(ImplicitUsings.Select(u => $"global using {u};\n")), parse))
            .ToList();
        var compilation = CSharpCompilation.Create(assemblyName, trees, References(assemblyName),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        var graph = new NamespaceGraph();
        foreach (var tree in trees)
        {
            var model = compilation.GetSemanticModel(tree);
            foreach (var name in tree.GetRoot().DescendantNodes().OfType<SimpleNameSyntax>())
            {
                if (name.Ancestors().Any(a => a is UsingDirectiveSyntax))
                {
                    continue; // an alias or a using static counts where it is used; an unused one is no dependency
                }
                var info = model.GetSymbolInfo(name);
                var used = info.Symbol ?? info.CandidateSymbols.FirstOrDefault();
                if (used is not (INamedTypeSymbol or IMethodSymbol or IPropertySymbol or IFieldSymbol or IEventSymbol)
                    || (used as INamedTypeSymbol ?? used.ContainingType) is { IsAnonymousType: true } or { IsTupleType: true })
                {
                    continue; // an anonymous type's or a tuple's members belong to no namespace of ours
                }
                var enclosing = model.GetEnclosingSymbol(name.SpanStart); // a namespace itself for a base list or attribute
                var from = NameOf(enclosing as INamespaceSymbol ?? enclosing?.ContainingNamespace);
                var to = NameOf(used.ContainingNamespace);
                if (from is null || to is null || from == to || !include(from) || !include(to))
                {
                    continue;
                }
                var line = name.GetLocation().GetLineSpan().StartLinePosition.Line + 1;
                graph.Add(from, to, $"{tree.FilePath}:{line} names {(used.ContainingType is { } type ? type.Name + "." : "")}{used.Name}");
            }
        }
        return graph;
    }

    /// <summary>Every edge of either graph (the first's example where both have one).</summary>
    public NamespaceGraph Union(NamespaceGraph other)
    {
        var union = new NamespaceGraph();
        foreach (var graph in new[] { this, other })
        {
            foreach (var (from, uses) in graph._edges)
            {
                union._edges.TryAdd(from, new Dictionary<string, string>(StringComparer.Ordinal));
                foreach (var (to, example) in uses)
                {
                    union.Add(from, to, example);
                }
            }
        }
        return union;
    }

    private void Add(string from, string to, string example)
    {
        _edges.TryAdd(from, new Dictionary<string, string>(StringComparer.Ordinal));
        _edges.TryAdd(to, new Dictionary<string, string>(StringComparer.Ordinal));
        _edges[from].TryAdd(to, example);
    }

    private static string? NameOf(INamespaceSymbol? ns) =>
        ns is null ? null : ns.IsGlobalNamespace ? "(global)" : ns.ToDisplayString();

    private static List<MetadataReference> References(string assemblyName)
    {
        // The assemblies this test host runs on (the shared frameworks), then the packages and projects beside the
        // test, each file once, leaving out the assembly whose source is read.
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator);
        return [.. platform.Concat(Directory.EnumerateFiles(AppContext.BaseDirectory, "*.dll"))
            .DistinctBy(Path.GetFileName, StringComparer.OrdinalIgnoreCase)
            .Where(f => Path.GetFileNameWithoutExtension(f) != assemblyName && IsManaged(f))
            .Select(f => MetadataReference.CreateFromFile(f))];
    }

    private static bool IsManaged(string path)
    {
        using var stream = File.OpenRead(path);
        using var pe = new PEReader(stream);
        return pe.HasMetadata;
    }
}
