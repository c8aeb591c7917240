using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace QuayGateway.Hosting;

public static class OpenApiSetup
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/swagger/v1/swagger.json";

    /// <summary>
    /// Serve the document and Swagger UI without authentication (true by default). Under Security's section, where
    /// deployments set it; read here, as Hosting uses nothing of Security.
    /// </summary>
    public const string PublicApiDocsSetting = "Gateway:Auth:PublicApiDocs";

    public static WebApplicationBuilder AddGatewayOpenApi(this WebApplicationBuilder builder)
    {
        builder.Services.AddEndpointsApiExplorer();
        builder.Services.AddSwaggerGen(o =>
        {
            o.SwaggerDoc(DocumentName, new OpenApiInfo
            {
                Title = "QuayGateway API",
                Version = "v1",
                Description = "Red Hat Quay registries as a service: request a registry, follow its rollout on the Quay " +
                              "Operator, bootstrap its first user and organizations, and hear about every change through webhooks. " +
                              "Authenticate with an API key in the X-Api-Key header. Errors are RFC 9457 problems " +
                              "(application/problem+json) with a stable type URI.",
                License = new OpenApiLicense { Name = "Proprietary: internal platform service" },
            });
            // Relative: the document is served by the gateway it describes, wherever that runs.
            o.AddServer(new OpenApiServer { Url = "/", Description = "This gateway" });
            // Nullable reference types decide nullable and required; a nullable $ref is wrapped in allOf to say so.
            o.SupportNonNullableReferenceTypes();
            o.NonNullableReferenceTypesAsRequired();
            o.UseAllOfToExtendReferenceSchemas();
            // The security schemes are Security's to declare (AddGatewaySecurity).
            o.MapType<JsonNode>(OpenApiSchemaShapes.AnyJson);
            o.MapType<JsonObject>(OpenApiSchemaShapes.AnyJson);
            o.MapType<JsonArray>(OpenApiSchemaShapes.AnyJson);
            o.MapType<JsonElement>(OpenApiSchemaShapes.AnyJson);
            o.SchemaFilter<OpenApiSchemaShapes>();
            o.OperationFilter<GatewayOperationFilter>();
            o.DocumentFilter<TagDescriptionsFilter>();
            o.DocumentFilter<TypedReferenceWrappers>();
        });
        return builder;
    }

    /// <summary>
    /// Swagger UI and the OpenAPI document, served to anyone; with <c>Gateway:Auth:PublicApiDocs=false</c> not served at
    /// all (a 404 problem), for deployments that do not publish their API surface.
    /// </summary>
    public static WebApplication UseGatewayOpenApi(this WebApplication app)
    {
        if (!app.Configuration.GetValue(PublicApiDocsSetting, true))
        {
            // Not found for everyone, with a key or without: the pages do not exist here.
            app.MapGet("/swagger/{**path}", () => Problems.NotFound("The API documentation"))
                .AllowAnonymous()
                .ExcludeFromDescription();
            return app;
        }

        app.UseSwagger();
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint(DocumentPath, "QuayGateway API v1");
            o.DocumentTitle = "QuayGateway API";
        });
        return app;
    }

    /// <summary>
    /// Documents a string property of <typeparamref name="T"/> (or each item of a list of strings) as an enum of
    /// <paramref name="values"/>: pass the code's own list (a feature's constants), so the document cannot drift from it.
    /// On a map (a dictionary the answer always fills for every value), the values are its keys: an object with each as a
    /// required property of the map's value type, described by <paramref name="describeKey"/>; the JSON stays the same.
    /// </summary>
    public static WebApplicationBuilder DocumentValues<T>(
        this WebApplicationBuilder builder, string property, IEnumerable<string> values, Func<string, string>? describeKey = null)
    {
        if (typeof(T).GetProperty(property) is null)
        {
            throw new ArgumentException($"{typeof(T).Name} has no property {property}.", nameof(property));
        }

        builder.Services.AddSingleton(new DocumentedValues(typeof(T), property, [.. values], describeKey));
        return builder;
    }

    /// <summary>
    /// The example of a wire type in the document (the schema's <c>example</c>), as the gateway would write it: what
    /// Swagger UI shows for an answer instead of <c>"string"</c>, and what a generated client's docs show.
    /// </summary>
    public static WebApplicationBuilder DocumentExample<T>(this WebApplicationBuilder builder, T example)
        where T : notnull
    {
        builder.Services.AddSingleton(new DocumentedExample(typeof(T), example));
        return builder;
    }

    /// <summary>An example of a wire type, for the document (<see cref="DocumentExample{T}"/>).</summary>
    public sealed record DocumentedExample(Type Type, object Value);

    /// <summary>The values a property takes, for the document (<see cref="DocumentValues{T}"/>).</summary>
    public sealed record DocumentedValues(Type Type, string Property, IReadOnlyList<string> Values, Func<string, string>? DescribeKey = null);

    /// <summary>Attaches a request example that Swagger UI pre-fills.</summary>
    public static RouteHandlerBuilder WithRequestExample(this RouteHandlerBuilder builder, object example) =>
        builder.WithMetadata(new RequestExample(example));

    public sealed record RequestExample(object Value);

    /// <summary>
    /// Problem types the endpoint answers with <paramref name="status"/>, beyond those its shape implies (see
    /// <see cref="GatewayOperationFilter"/>). On a group, they hold for each of its endpoints.
    /// </summary>
    public static TBuilder ProducesProblems<TBuilder>(this TBuilder builder, int status, params string[] types)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ProblemResponse(status, types));

    /// <summary>A header the endpoint sets on answers with <paramref name="status"/> (Location on 201/202 needs no declaring).</summary>
    public static RouteHandlerBuilder WithResponseHeader(this RouteHandlerBuilder builder, int status, string name, string description) =>
        builder.WithMetadata(new ResponseHeader(status, name, description));

    /// <summary>
    /// A body the handler's return type does not tell: another content type (YAML, an event stream), or the real shape of
    /// JSON passed through as read (<paramref name="shape"/> is only described, never used to read or write).
    /// </summary>
    public static RouteHandlerBuilder ProducesContent(this RouteHandlerBuilder builder, int status, string contentType, Type shape, string? description = null) =>
        builder.WithMetadata(new ResponseContent(status, contentType, shape, description));

    public sealed record ProblemResponse(int Status, IReadOnlyList<string> Types);

    public sealed record ResponseHeader(int Status, string Name, string Description);

    public sealed record ResponseContent(int Status, string ContentType, Type Shape, string? Description);

    /// <summary>
    /// The document's tags, in the order a user works in: request a registry and follow it, bootstrap its Quay, subscribe
    /// to its events; then the platform's clusters, the audit log, API keys and tenants. Swagger UI, Redoc and generated
    /// clients list operations in this order. Every tag an endpoint uses must be listed here (a test checks it).
    /// </summary>
    public static readonly IReadOnlyList<(string Name, string Description)> Tags =
    [
        ("Registries", "Request Quay registries, follow their rollout, status, components and timeline, change and delete them."),
        ("Quay", "Bootstrap a registry's first user and organizations through Quay's API, with the stored token; robots, teams and quotas."),
        ("Webhooks", "Subscriptions to registry events, signed with Standard Webhooks; deliveries and redelivery."),
        ("Clusters", "The target clusters the gateway provisions into, and whether each is reachable."),
        ("Audit", "Who wrote what, and which writes were refused (admin: the own tenant; platform:admin: all)."),
        ("API keys", "Manage the API keys that tenants and portals use (admin scope)."),
        ("Tenants", "Tenant policies: allowed clusters and namespaces, quotas and rate limits (platform:admin)."),
    ];

    /// <summary>The document-level tags, in <see cref="Tags"/> order; a tag no endpoint uses is left out.</summary>
    private sealed class TagDescriptionsFilter : IDocumentFilter
    {
        public void Apply(OpenApiDocument document, DocumentFilterContext context)
        {
            var used = (document.Paths ?? []).Values
                .SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
                .SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
                .Select(t => t.Name)
                .OfType<string>()
                .ToHashSet(StringComparer.Ordinal);
            var order = Tags.Select(t => t.Name).ToList();
            document.Tags = new HashSet<OpenApiTag>(used
                .OrderBy(name => order.IndexOf(name) is var i && i < 0 ? int.MaxValue : i)
                .ThenBy(name => name, StringComparer.Ordinal)
                .Select(name => new OpenApiTag { Name = name, Description = Tags.FirstOrDefault(t => t.Name == name).Description }));
        }
    }
}
