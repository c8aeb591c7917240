using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
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
public sealed class OpenApiSchemaShapes : ISchemaFilter
{
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
        }
    }

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
            ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri", Description = "Stable: clients switch on it." },
            ["title"] = new OpenApiSchema { Type = JsonSchemaType.String },
            ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ["detail"] = new OpenApiSchema { Type = JsonSchemaType.String },
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

