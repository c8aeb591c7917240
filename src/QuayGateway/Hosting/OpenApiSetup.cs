using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using QuayGateway.Security;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace QuayGateway.Hosting;

public static class OpenApiSetup
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/swagger/v1/swagger.json";

    /// <summary>Bearer tokens from the OIDC provider: always declared (the committed document has it).</summary>
    public const string BearerScheme = "Bearer";

    /// <summary>Swagger UI's sign-in (authorization code with PKCE): declared only when a provider and its Swagger UI client are configured.</summary>
    public const string OAuth2Scheme = "OAuth2";

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
            o.AddSecurityDefinition(ApiKeyAuthenticationHandler.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthenticationHandler.Header,
                Description = "An API key (qgw_…). The bootstrap admin key comes from Gateway:Auth:BootstrapApiKey.",
            });
            o.AddSecurityDefinition(BearerScheme, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                BearerFormat = "JWT",
                Description = "An access token from the OIDC provider (Gateway:Auth:Oidc:Authority); the tenant and the scopes " +
                              "come from the claims Gateway:Auth:Oidc:TenantClaim and :ScopeClaim name.",
            });
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
        if (!app.Configuration.GetValue(AuthOptions.Section + ":" + nameof(AuthOptions.PublicApiDocs), true))
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

    /// <summary>Tag descriptions for the document; every tag an endpoint uses should have one here.</summary>
    private sealed class TagDescriptionsFilter : IDocumentFilter
    {
        private static readonly Dictionary<string, string> Descriptions = new()
        {
            ["Registries"] = "Request Quay registries, follow their rollout, status and components, change and delete them.",
            ["API keys"] = "Manage the API keys that tenants and portals use (admin scope).",
            ["Quay"] = "Bootstrap a registry's first user and organizations through Quay's API, with the stored token.",
            ["Webhooks"] = "Subscriptions to registry events, signed with Standard Webhooks; deliveries and redelivery.",
            ["Clusters"] = "The target clusters the gateway provisions into.",
            ["Status"] = "Fleet-wide status.",
            ["Audit"] = "Who wrote what, and which writes were refused (admin: the own tenant; platform:admin: all).",
        };

        public void Apply(OpenApiDocument document, DocumentFilterContext context)
        {
            var used = (document.Paths ?? []).Values
                .SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>())
                .SelectMany(o => o.Tags ?? new HashSet<OpenApiTagReference>())
                .Select(t => t.Name)
                .OfType<string>()
                .Distinct()
                .Order(StringComparer.Ordinal);
            document.Tags = new HashSet<OpenApiTag>(used.Select(name => new OpenApiTag
            {
                Name = name,
                Description = Descriptions.GetValueOrDefault(name),
            }));
        }
    }
}
