using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>A printer column of the CRD: <c>Version = .status.currentVersion</c>.</summary>
internal sealed record PrinterColumn(string Name, string Type, string JsonPath, string Description, int Priority);

/// <summary>The real QuayRegistry CustomResourceDefinition, embedded in the assembly and read once.</summary>
internal sealed class QuayRegistryCrd
{
    public static QuayRegistryCrd Instance { get; } = Load();

    private QuayRegistryCrd(JsonObject definition)
    {
        Definition = definition;
        var version = definition["spec"]!["versions"]!.AsArray().OfType<JsonObject>().Single(v => v["name"].Str() == ResourceTypes.QuayRegistries.Version);
        Schema = version["schema"]!["openAPIV3Schema"]!.AsObject();
        PrinterColumns = (version["additionalPrinterColumns"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(c => new PrinterColumn(c["name"].Str()!, c["type"].Str() ?? "string", c["jsonPath"].Str()!, c["description"].Str() ?? "", (int)(c["priority"].Long() ?? 0)))
            .ToList();
    }

    public JsonObject Definition { get; }

    public JsonObject Schema { get; }

    public IReadOnlyList<PrinterColumn> PrinterColumns { get; }

    private static QuayRegistryCrd Load()
    {
        using var stream = typeof(QuayRegistryCrd).Assembly.GetManifestResourceStream("quayregistries.crd.yaml")
            ?? throw new InvalidOperationException("the embedded QuayRegistry CRD is missing");
        using var reader = new StreamReader(stream);
        return new QuayRegistryCrd(RequestBody.FromYaml(reader.ReadToEnd()).AsObject());
    }
}
