using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.AspNetCore.Mvc;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace QuayGateway.Hosting;

/// <summary>
/// A type (or a property) whose JSON is deliberately open: objects of another system passed through as read (Kubernetes,
/// Quay), or free-form values such as component overrides. The document says so (additionalProperties: {}), with why.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class OpenEndedAttribute(string why) : Attribute
{
    public string Why { get; } = why;
}

/// <summary>
/// The shape a loosely typed property (a <c>JsonNode</c> passed through) really has, for the document only; the property
/// is still read and written as it is.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Parameter)]
public sealed class DocumentedAsAttribute(Type shape) : Attribute
{
    public Type Shape { get; } = shape;
}

/// <summary>
/// The schemas Swashbuckle cannot derive from a type alone: problem documents as the gateway writes them, open-ended
/// objects, and the real shapes of passed-through JSON.
/// </summary>
/// <para>
/// Also, for every wire type: each property's description from the XML comments (<c>&lt;param&gt;</c> of a positional
/// record, else the property's <c>&lt;summary&gt;</c>); enums (and the keys of maps) the features declare from their own lists of
/// values (<see cref="OpenApiSetup.DocumentValues{T}"/>); and the examples they declare per wire type
/// (<see cref="OpenApiSetup.DocumentExample{T}"/>), so Swagger UI and generated clients show realistic values.
/// </para>
public sealed partial class OpenApiSchemaShapes(
    IEnumerable<OpenApiSetup.DocumentedValues> documentedValues, IEnumerable<OpenApiSetup.DocumentedExample> documentedExamples) : ISchemaFilter
{
    private readonly ILookup<(Type, string), OpenApiSetup.DocumentedValues> _values =
        documentedValues.ToLookup(v => (v.Type, v.Property));

    private readonly ILookup<Type, OpenApiSetup.DocumentedExample> _examples = documentedExamples.ToLookup(e => e.Type);

    /// <summary>
    /// The example of a wire type, as the gateway would write it (enums by name, camelCase), but with absent values left
    /// out rather than null, like the request examples: OpenAPI 3.0 validators read a null against a nullable $ref as wrong.
    /// </summary>
    private static readonly JsonSerializerOptions ExampleJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
    /// <summary>Any JSON value, for <c>JsonNode</c> and friends that no property narrows.</summary>
    public static OpenApiSchema AnyJson() => new() { Description = "Any JSON value." };

    private static readonly NullabilityInfoContext Nullability = new();

    public void Apply(IOpenApiSchema schema, SchemaFilterContext context)
    {
        if (schema is not OpenApiSchema concrete)
        {
            return;
        }

        if (context.MemberInfo is null && context.Type.GetCustomAttribute<OpenEndedAttribute>(inherit: false) is { } open)
        {
            Open(concrete, open.Why);
        }

        if (context.Type == typeof(ProblemDetails) || context.Type == typeof(HttpValidationProblemDetails))
        {
            Problem(concrete, context.Type == typeof(HttpValidationProblemDetails));
        }

        if (context.MemberInfo is null && _examples[context.Type].FirstOrDefault() is { } example)
        {
            // The document is OpenAPI 3.0, whose schemas have one example (Examples is 3.1's list).
#pragma warning disable CS0618
            concrete.Example = JsonSerializer.SerializeToNode(example.Value, context.Type, ExampleJson);
#pragma warning restore CS0618
        }

        if (concrete.Properties is null)
        {
            return;
        }

        foreach (var property in context.Type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var name = JsonName(property);
            if (!concrete.Properties.ContainsKey(name))
            {
                continue;
            }

            var parameter = RecordParameter(context.Type, property);
            if ((property.GetCustomAttribute<DocumentedAsAttribute>() ?? parameter?.GetCustomAttribute<DocumentedAsAttribute>()) is { } shape)
            {
                var nullable = Nullability.Create(property).ReadState == NullabilityState.Nullable;
                var generated = context.SchemaGenerator.GenerateSchema(shape.Shape, context.SchemaRepository);
                concrete.Properties[name] = nullable
                    ? new OpenApiSchema { AllOf = [generated], Type = JsonSchemaType.Null }
                    : generated;
            }

            if ((property.GetCustomAttribute<OpenEndedAttribute>() ?? parameter?.GetCustomAttribute<OpenEndedAttribute>()) is { } openProperty
                && concrete.Properties[name] is OpenApiSchema propertySchema)
            {
                Open(propertySchema, openProperty.Why);
            }

            if (_values[(context.Type, property.Name)].FirstOrDefault() is { } values && concrete.Properties[name] is OpenApiSchema valued)
            {
                if (valued.AdditionalProperties is { } counted)
                {
                    // A map keyed by the values, each always present: an object a generator can give a property per key.
                    valued.Properties = values.Values.ToDictionary(v => v, v => Keyed(counted, values.DescribeKey?.Invoke(v)), StringComparer.Ordinal);
                    valued.Required = new HashSet<string>(values.Values, StringComparer.Ordinal);
                    valued.AdditionalProperties = null;
                    valued.AdditionalPropertiesAllowed = false;
                }
                else
                {
                    var target = valued.Type?.HasFlag(JsonSchemaType.Array) == true && valued.Items is OpenApiSchema items ? items : valued;
                    target.Enum = [.. values.Values.Select(v => (JsonNode)v)];
                }
            }

            if (XmlDescription(context.Type, property.Name) is { } description)
            {
                concrete.Properties[name] = concrete.Properties[name] switch
                {
                    OpenApiSchema inline when inline.Description is null => Describe(inline, description),
                    OpenApiSchema inline => Describe(inline, $"{description} {inline.Description}"),
                    var reference => new OpenApiSchema { AllOf = [reference], Description = description },
                };
            }
        }
    }

    /// <summary>The schema of one key of a map documented by its keys: the map's value schema, with the key's description.</summary>
    private static IOpenApiSchema Keyed(IOpenApiSchema value, string? description)
    {
        var copy = value.CreateShallowCopy();
        return copy is OpenApiSchema inline && description is not null ? Describe(inline, description) : copy;
    }

    private static OpenApiSchema Describe(OpenApiSchema schema, string description)
    {
        schema.Description = description;
        return schema;
    }

    /// <summary>The gateway's XML documentation, by member id (<c>T:…</c>, <c>P:…</c>).</summary>
    private static readonly Lazy<Dictionary<string, XElement>> XmlMembers = new(() =>
    {
        var path = Path.ChangeExtension(typeof(OpenApiSchemaShapes).Assembly.Location, ".xml");
        return File.Exists(path)
            ? XDocument.Load(path).Descendants("member")
                .Where(m => m.Attribute("name") is not null)
                .GroupBy(m => m.Attribute("name")!.Value, StringComparer.Ordinal)
                .ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal)
            : [];
    });

    /// <summary>A property's description: the record's <c>&lt;param&gt;</c> for it, else the property's <c>&lt;summary&gt;</c>.</summary>
    internal static string? XmlDescription(Type type, string property)
    {
        var id = type.FullName?.Replace('+', '.');
        if (id is null)
        {
            return null;
        }

        var members = XmlMembers.Value;
        var text = (members.TryGetValue("T:" + id, out var typeDoc)
                       ? typeDoc.Elements("param").FirstOrDefault(p => (string?)p.Attribute("name") == property)
                       : null)
                   ?? (members.TryGetValue("P:" + id + "." + property, out var propertyDoc) ? propertyDoc.Element("summary") : null);
        return text is null ? null : PlainText(text);
    }

    /// <summary>XML doc content as Markdown: <c>&lt;c&gt;</c> as code, a <c>&lt;see&gt;</c> as its name.</summary>
    private static string? PlainText(XElement element)
    {
        var parts = element.Nodes().Select(node => node switch
        {
            XText t => t.Value,
            XElement { Name.LocalName: "c" } c => "`" + c.Value + "`",
            XElement { Name.LocalName: "see" or "seealso" } see =>
                (string?)see.Attribute("langword") ?? ((string?)see.Attribute("cref"))?.Split('.', ':').Last() ?? see.Value,
            XElement { Name.LocalName: "paramref" or "typeparamref" } r => (string?)r.Attribute("name") ?? "",
            XElement other => other.Value,
            _ => "",
        });
        var text = Whitespace().Replace(string.Concat(parts), " ").Trim();
        return text.Length == 0 ? null : text;
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    private static void Open(OpenApiSchema schema, string why)
    {
        schema.AdditionalPropertiesAllowed = true;
        schema.AdditionalProperties ??= new OpenApiSchema();
        schema.Description = schema.Description is null ? why : $"{schema.Description} {why}";
    }

    /// <summary>
    /// What every problem of the gateway carries (type, title, status, instance, traceId) and what some add (detail;
    /// errors on 400; quayStatus and quayMessage when Quay answered).
    /// </summary>
    private static void Problem(OpenApiSchema schema, bool validation)
    {
        schema.Properties = new Dictionary<string, IOpenApiSchema>
        {
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", Description = "The problem type: a stable URI under https://quaygateway.dev/problems/ that clients switch on." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "A short summary of the problem type, for people; it may change." },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The HTTP status code of this answer." },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "What went wrong with this request, for people." },
            ["instance"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "The request path." },
            ["traceId"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Names the request in the gateway's logs and traces." },
            ["quayStatus"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32", Description = "The status Quay answered, when the problem is Quay's answer." },
            ["quayMessage"] = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Quay's own message, when the problem is Quay's answer." },
        };
        if (validation)
        {
            schema.Properties["errors"] = new OpenApiSchema
            {
                Type = JsonSchemaType.Object,
                Description = "Per field (a JSON path into the body, or a parameter name), what is wrong with it.",
                AdditionalProperties = new OpenApiSchema { Type = JsonSchemaType.Array, Items = new OpenApiSchema { Type = JsonSchemaType.String } },
            };
        }

        schema.Required = new HashSet<string>(["type", "title", "status", "instance", "traceId"]);
        schema.AdditionalPropertiesAllowed = false;
        schema.AdditionalProperties = null;
    }

    private static string JsonName(PropertyInfo property) =>
        property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? JsonNamingPolicy.CamelCase.ConvertName(property.Name);

    /// <summary>A positional record's constructor parameter of the property, where <c>[property: …]</c> may not have reached.</summary>
    private static ParameterInfo? RecordParameter(Type type, PropertyInfo property) =>
        type.GetConstructors().SelectMany(c => c.GetParameters()).FirstOrDefault(p => p.Name == property.Name);
}

/// <summary>
/// A $ref wrapped in allOf (to say nullable, or to carry a description) also names the referenced schema's type: OpenAPI
/// 3.0 applies nullable only beside a type, and linters read a lone allOf without one as a mistake.
/// </summary>
public sealed class TypedReferenceWrappers : IDocumentFilter
{
    public void Apply(OpenApiDocument swaggerDoc, DocumentFilterContext context) =>
        new OpenApiWalker(new Visitor(swaggerDoc)).Walk(swaggerDoc);

    private sealed class Visitor(OpenApiDocument document) : OpenApiVisitorBase
    {
        public override void Visit(IOpenApiSchema schema)
        {
            if (schema is OpenApiSchema { AllOf: [OpenApiSchemaReference reference] } wrapper
                && (wrapper.Type is null || wrapper.Type == JsonSchemaType.Null)
                && reference.Reference.Id is { } id
                && document.Components?.Schemas?.TryGetValue(id, out var target) == true)
            {
                wrapper.Type = (target.Type ?? JsonSchemaType.Object) | (wrapper.Type ?? 0);
            }
        }
    }
}

