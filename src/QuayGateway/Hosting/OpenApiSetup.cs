using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;
using QuayGateway.Security;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace QuayGateway.Hosting;

public static partial class OpenApiSetup
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
            o.OperationFilter<GatewayOperationFilter>();
            o.DocumentFilter<TagDescriptionsFilter>();
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

    /// <summary>
    /// Per operation, from its endpoint metadata, so a new endpoint is documented without extra work: the request
    /// example, the security requirement, and the problem responses it can give (RFC 9457, with examples).
    /// <list type="bullet">
    /// <item>401 when it needs a caller; 403 when it needs a scope (an authorization policy);</item>
    /// <item>400 when it takes a body, query or header values; 413 and 415 when it takes a body;</item>
    /// <item>404 when its path names a resource; 409 with an Idempotency-Key; 412 with If-Match;</item>
    /// <item>whatever it declares itself (<c>ProducesProblem</c>), and 500 for every operation.</item>
    /// </list>
    /// </summary>
    private sealed partial class GatewayOperationFilter : IOperationFilter
    {
        [GeneratedRegex(@"\{(\w+)(:[^}]*)?\}")]
        private static partial Regex RouteConstraint();

        private const string ProblemMediaType = "application/problem+json";

        private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
        {
            // The schemas mark absent optional members as not nullable; an example shows them absent, not null.
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        private static readonly Dictionary<int, (string Title, string Description, string Detail)> Standard = new()
        {
            [400] = ("Validation failed", "The request is malformed or has invalid fields (see 'errors').", "The request has invalid fields; see 'errors'."),
            [401] = ("Unauthorized", "No valid API key (X-Api-Key) or bearer token was presented.", "Authentication is required."),
            [403] = ("Forbidden", "The caller's key or token lacks the scope this operation needs.", "The caller lacks the required scope."),
            [404] = ("Not found", "The resource does not exist or belongs to another tenant.", "The resource was not found."),
            [409] = ("Conflict", "The request conflicts with the current state (for example a duplicate, or an Idempotency-Key reused with another body).", "The request conflicts with the current state."),
            [412] = ("Precondition failed", "The If-Match ETag no longer matches the resource.", "The resource changed since it was read."),
            [413] = ("Payload too large", "The request body exceeds 1 MiB.", $"The request body exceeds the limit of {ProblemDetailsSetup.MaxRequestBodyBytes} bytes (1 MiB)."),
            [415] = ("Unsupported media type", "The request body is not application/json.", "Send the body as application/json."),
            [500] = ("Internal error", "The gateway failed to handle the request; the traceId identifies it in the logs.", "The gateway failed to handle the request; the trace id identifies it in the logs."),
        };

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

            var statuses = new SortedSet<int> { 500 };
            if (!metadata.OfType<IAllowAnonymous>().Any())
            {
                operation.Security ??= [];
                operation.Security.Add(new OpenApiSecurityRequirement
                {
                    [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, context.Document)] = [],
                });
                statuses.Add(401);
                if (metadata.OfType<IAuthorizeData>().Any(a => a.Policy is not null || a.Roles is not null)
                    || metadata.OfType<AuthorizationPolicy>().Any())
                {
                    statuses.Add(403);
                }
            }

            var parameters = operation.Parameters ?? [];
            if (operation.RequestBody is not null)
            {
                statuses.UnionWith([400, 413, 415]);
            }

            // A path parameter that does not parse misses the route (404); query and header values answer 400.
            if (parameters.Any(p => p.In != ParameterLocation.Path))
            {
                statuses.Add(400);
            }

            if (parameters.Any(p => p.In == ParameterLocation.Path))
            {
                statuses.Add(404);
            }

            if (parameters.Any(p => p.In == ParameterLocation.Header && string.Equals(p.Name, "Idempotency-Key", StringComparison.OrdinalIgnoreCase)))
            {
                statuses.Add(409);
            }

            if (parameters.Any(p => p.In == ParameterLocation.Header && string.Equals(p.Name, "If-Match", StringComparison.OrdinalIgnoreCase)))
            {
                statuses.Add(412);
            }

            operation.Responses ??= [];
            foreach (var declared in operation.Responses.Keys.Select(k => int.TryParse(k, out var code) ? code : 0).Where(c => c >= 400))
            {
                statuses.Add(declared);
            }

            foreach (var status in statuses)
            {
                operation.Responses[status.ToString(CultureInfo.InvariantCulture)] = ProblemResponse(status, context);
            }
        }

        private static OpenApiResponse ProblemResponse(int status, OperationFilterContext context)
        {
            var (title, description, detail) = Standard.TryGetValue(status, out var known)
                ? known
                : (ReasonPhrases.GetReasonPhrase(status), ReasonPhrases.GetReasonPhrase(status), ReasonPhrases.GetReasonPhrase(status));
            var type = status == 400 ? ProblemTypes.ValidationFailed : ProblemTypes.ForStatus(status);
            var schemaType = status == 400 ? typeof(HttpValidationProblemDetails) : typeof(ProblemDetails);
            var problem = new JsonObject
            {
                ["type"] = type,
                ["title"] = title,
                ["status"] = status,
                ["detail"] = detail,
                ["instance"] = "/" + RouteConstraint().Replace(context.ApiDescription.RelativePath ?? "", "{$1}").TrimEnd('/'),
                ["traceId"] = "0HNAB3CDEF123:00000001",
            };
            if (status == 400)
            {
                // A field of the request example when there is a body, else the first query or header value.
                var field = (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<RequestExample>().FirstOrDefault() is { } example
                                ? JsonSerializer.SerializeToNode(example.Value, Json)?.AsObject().FirstOrDefault().Key
                                : null)
                            ?? context.ApiDescription.ParameterDescriptions.FirstOrDefault(p => p.Source.Id is "Query" or "Header")?.Name
                            ?? "body";
                problem["errors"] = new JsonObject { [field] = new JsonArray($"The value of '{field}' is not valid.") };
            }

            return new OpenApiResponse
            {
                Description = description,
                Content = new Dictionary<string, IOpenApiMediaType>
                {
                    [ProblemMediaType] = new OpenApiMediaType
                    {
                        Schema = context.SchemaGenerator.GenerateSchema(schemaType, context.SchemaRepository),
                        Example = problem,
                    },
                },
            };
        }
    }

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
