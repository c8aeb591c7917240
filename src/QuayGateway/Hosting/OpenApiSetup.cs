using System.Text.Json;
using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using QuayGateway.Security;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace QuayGateway.Hosting;

public static class OpenApiSetup
{
    public const string DocumentName = "v1";
    public const string DocumentPath = "/swagger/v1/swagger.json";

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
                              "Authenticate with an API key in the X-Api-Key header.",
            });
            o.SupportNonNullableReferenceTypes();
            o.AddSecurityDefinition(ApiKeyAuthenticationHandler.SchemeName, new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.ApiKey,
                In = ParameterLocation.Header,
                Name = ApiKeyAuthenticationHandler.Header,
                Description = "An API key (qgw_…). The bootstrap admin key comes from Gateway:Auth:BootstrapApiKey.",
            });
            o.OperationFilter<GatewayOperationFilter>();
        });
        return builder;
    }

    public static WebApplication UseGatewayOpenApi(this WebApplication app)
    {
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

    /// <summary>Per operation: the request example, the security requirement, and the problem responses it can give.</summary>
    private sealed class GatewayOperationFilter : IOperationFilter
    {
        private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

        public void Apply(OpenApiOperation operation, OperationFilterContext context)
        {
            var metadata = context.ApiDescription.ActionDescriptor.EndpointMetadata;
            if (metadata.OfType<RequestExample>().FirstOrDefault() is { } example && operation.RequestBody?.Content is { } content)
            {
                foreach (var media in content.Values.OfType<OpenApiMediaType>())
                {
                    media.Example = JsonSerializer.SerializeToNode(example.Value, Json);
                }
            }

            if (metadata.OfType<IAllowAnonymous>().Any())
            {
                return;
            }

            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement
            {
                [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, context.Document)] = [],
            });
        }
    }
}
