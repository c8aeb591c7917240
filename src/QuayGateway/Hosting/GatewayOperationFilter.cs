using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;
using static QuayGateway.Hosting.OpenApiSetup;

namespace QuayGateway.Hosting;

/// <summary>
/// Per operation, from its endpoint metadata, so a new endpoint is documented without extra work: the request example,
/// the security requirement, the headers of its answers, and every problem it can answer with, each status with the
/// problem <c>type</c>s it can carry (RFC 9457, with an example).
/// <list type="bullet">
/// <item>every operation: 400 (the query guard), 413, 414, 415, 431 (the request limits, checked before routing
/// finishes), 429 with Retry-After (the rate limit), 500, and 503 with Retry-After while PostgreSQL is out of reach;</item>
/// <item>401 when it needs a caller; 403 when it needs a scope; 404 when its path names a resource; 412 with If-Match;</item>
/// <item>whatever it declares itself (<see cref="OpenApiSetup.ProducesProblems{TBuilder}"/>).</item>
/// </list>
/// Location on 201 and 202 (every such answer of the gateway names what it made or started), and the headers and
/// content types it declares (<see cref="OpenApiSetup.WithResponseHeader"/>, <see cref="OpenApiSetup.ProducesContent"/>).
/// </summary>
public sealed partial class GatewayOperationFilter : IOperationFilter
{
    public const string ProblemMediaType = "application/problem+json";

    /// <summary>The operation extension listing every problem <c>type</c> URI the operation can answer with.</summary>
    public const string ProblemTypesExtension = "x-problem-types";

    [GeneratedRegex(@"\{(\w+)(:[^}]*)?\}")]
    private static partial Regex RouteConstraint();

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
        [409] = ("Conflict", "The request conflicts with the current state (see the problem type).", "The request conflicts with the current state."),
        [412] = ("Precondition failed", "The If-Match ETag no longer matches the resource, or it changed while the request was handled.", "The resource changed since it was read."),
        [413] = ("Payload too large", "The request body exceeds 1 MiB.", $"The request body exceeds the limit of {ProblemDetailsSetup.MaxRequestBodyBytes} bytes (1 MiB)."),
        [414] = ("URI too long", $"The path and query exceed {ProblemDetailsSetup.MaxUrlLength} characters.", $"The path and query are too long; the limit is {ProblemDetailsSetup.MaxUrlLength}."),
        [415] = ("Unsupported media type", "The request body is not UTF-8 application/json.", "Send the body as application/json."),
        [429] = ("Too many requests", "The caller's tenant (or, without a credential, its address) is over its rate limit; retry after Retry-After seconds.", "The rate limit for this caller was reached; retry after the time in Retry-After."),
        [431] = ("Request headers too large", $"More than {ProblemDetailsSetup.MaxHeaderCount} header values or {ProblemDetailsSetup.MaxHeaderBytes} bytes of headers.", "The request headers are too large."),
        [500] = ("Internal error", "The gateway failed to handle the request; the traceId identifies it in the logs.", "The gateway failed to handle the request; the trace id identifies it in the logs."),
        [502] = ("Bad gateway", "A system the gateway calls (the cluster's API server, Quay) could not be reached or failed.", "The upstream system failed."),
        [503] = ("Service unavailable", "The gateway's database cannot be reached; retry after Retry-After seconds.", "The gateway's database cannot be reached; retry after the time in Retry-After."),
        [504] = ("Gateway timeout", "A system the gateway calls did not answer in time.", "The upstream system timed out."),
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

        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>().Where(p => string.IsNullOrEmpty(p.Description)))
        {
            parameter.Description = ParameterDescription(parameter.Name ?? "", "/" + (context.ApiDescription.RelativePath ?? ""));
        }

        operation.Responses ??= [];
        foreach (var declared in metadata.OfType<ResponseContent>())
        {
            var response = Response(operation, declared.Status);
            response.Content ??= new Dictionary<string, IOpenApiMediaType>();
            response.Content[declared.ContentType] = new OpenApiMediaType
            {
                Schema = Described(context.SchemaGenerator.GenerateSchema(declared.Shape, context.SchemaRepository), declared.Description),
            };
        }

        foreach (var (status, response) in operation.Responses.Where(r => r.Key is "201" or "202"))
        {
            AddHeader(response, "Location", "Where the created resource (or the work started) can be read.", new OpenApiSchema { Type = JsonSchemaType.String, Format = "uri-reference" });
        }

        foreach (var header in metadata.OfType<ResponseHeader>())
        {
            AddHeader(Response(operation, header.Status), header.Name, header.Description, new OpenApiSchema { Type = JsonSchemaType.String });
        }

        var problems = ProblemTypesOf(operation, metadata);
        // Every problem type the operation can answer, in one list: what a client maps to typed errors.
        operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
        operation.Extensions[ProblemTypesExtension] = new JsonNodeExtension(
            new JsonArray([.. problems.Values.SelectMany(t => t).Distinct().Order(StringComparer.Ordinal).Select(t => (JsonNode)t)]));
        foreach (var (status, types) in problems)
        {
            var response = ProblemResponse(status, types, context);
            if (status is 429 or 503)
            {
                AddHeader(response, "Retry-After", "Seconds to wait before retrying.", new OpenApiSchema { Type = JsonSchemaType.Integer, Minimum = "0" });
            }

            operation.Responses[status.ToString(CultureInfo.InvariantCulture)] = response;
        }
    }

    /// <summary>
    /// What a path, query or header parameter means. The gateway's parameters share names and meanings across the API
    /// (paging, filters, the resource ids of its paths), so one table says it for all of them.
    /// </summary>
    private static string? ParameterDescription(string name, string path) => name switch
    {
        "id" when path.StartsWith("/v1/webhooks", StringComparison.Ordinal) => "The webhook's id.",
        "id" when path.StartsWith("/v1/api-keys", StringComparison.Ordinal) => "The API key's id (12 hex digits, the part of the key after `qgw_`).",
        "id" => "The registry's id, as returned by `POST /v1/registries` (its Location) and the list.",
        "org" => "The Quay organization's name.",
        "name" => "The robot's short name, without the `org+` prefix.",
        "team" => "The team's name in the organization.",
        "tenant" when path.StartsWith("/v1/tenants", StringComparison.Ordinal) => "The tenant's name (a DNS-1123 label).",
        "tenant" => "Only the keys of this tenant (platform:admin); a tenant admin sees its own tenant's.",
        "deliveryId" => "The delivery's id, as in the delivery log.",
        "limit" => "The most entries in one page (each list has its default and its maximum; a value outside is a 400).",
        "cursor" => "The `nextCursor` of the previous page; left out for the first page. Opaque: pass it as it was returned.",
        "after" => "Only timeline entries after this entry id (what `Last-Event-ID` does for a stream).",
        "state" => "Only registries in this state (for the timeline: entries that left the registry in it).",
        "cluster" => "Only registries on this cluster.",
        "namespace" => "Only registries in this namespace.",
        "registry" => "Only the timeline of this registry (its id).",
        "type" => "Only timeline entries of this type.",
        "format" => "`json` (the default) or `yaml` (two YAML documents, as applied and as live).",
        "status" => "Only deliveries with this status.",
        "actor" => "Only entries of this actor (an API key's id or a token's subject).",
        "action" => "Only entries of this action (an operation id, such as `CreateRegistry`).",
        "target" => "Only entries about this target (a path such as `/v1/registries/{id}`).",
        "outcome" => "Only entries with this outcome (`succeeded`, `refused`, `failed`, `rate-limited`).",
        "since" => "Only entries at or after this time (ISO 8601).",
        "until" => "Only entries before this time (ISO 8601).",
        "If-Match" => "The registry's ETag from a GET: the change is refused with 412 when the registry changed since.",
        "If-None-Match" => "An ETag from an earlier GET: 304 without a body when the registry has not changed.",
        "Idempotency-Key" => "A key of the caller's choice: the same key with the same body replays the first answer; with another body it is a 409.",
        "Last-Event-ID" => "With `Accept: text/event-stream`: resume the stream after this entry id.",
        _ => null,
    };

    /// <summary>The problem statuses of the operation, each with the types it can carry, in order.</summary>
    private static SortedDictionary<int, SortedSet<string>> ProblemTypesOf(OpenApiOperation operation, IList<object> metadata)
    {
        var problems = new SortedDictionary<int, SortedSet<string>>();
        void Add(int status, params string[] types)
        {
            if (!problems.TryGetValue(status, out var set))
            {
                problems[status] = set = new SortedSet<string>(StringComparer.Ordinal);
            }

            set.UnionWith(types);
        }

        // The request guards run for every request, before the endpoint; the database may be down for any of them.
        Add(400, ProblemTypes.ValidationFailed);
        Add(413, ProblemTypes.PayloadTooLarge);
        Add(414, ProblemTypes.UriTooLong);
        Add(415, ProblemTypes.UnsupportedMediaType);
        Add(431, ProblemTypes.HeadersTooLarge);
        Add(500, ProblemTypes.Internal);
        if (!metadata.OfType<Microsoft.AspNetCore.RateLimiting.DisableRateLimitingAttribute>().Any())
        {
            Add(429, ProblemTypes.RateLimited);
        }

        Add(503, ProblemTypes.Unavailable);
        if (!metadata.OfType<IAllowAnonymous>().Any())
        {
            Add(401, ProblemTypes.Unauthorized);
            if (metadata.OfType<IAuthorizeData>().Any(a => a.Policy is not null || a.Roles is not null) || metadata.OfType<AuthorizationPolicy>().Any())
            {
                Add(403, ProblemTypes.Forbidden);
            }
        }

        var parameters = operation.Parameters ?? [];
        if (operation.RequestBody is not null)
        {
            Add(400, ProblemTypes.MalformedRequest); // a body that is not JSON, or not the operation's JSON
        }

        if (parameters.Any(p => p.In == ParameterLocation.Path))
        {
            Add(404, ProblemTypes.NotFound);
        }

        if (parameters.Any(p => p.In == ParameterLocation.Header && string.Equals(p.Name, "If-Match", StringComparison.OrdinalIgnoreCase)))
        {
            Add(412, ProblemTypes.PreconditionFailed);
        }

        foreach (var declared in metadata.OfType<ProblemResponse>())
        {
            Add(declared.Status, [.. declared.Types]);
        }

        return problems;
    }

    private static OpenApiResponse Response(OpenApiOperation operation, int status)
    {
        var key = status.ToString(CultureInfo.InvariantCulture);
        if (operation.Responses!.TryGetValue(key, out var existing) && existing is OpenApiResponse response)
        {
            return response;
        }

        response = new OpenApiResponse { Description = ReasonPhrases.GetReasonPhrase(status) };
        operation.Responses[key] = response;
        return response;
    }

    private static void AddHeader(IOpenApiResponse response, string name, string description, OpenApiSchema schema)
    {
        if (response is not OpenApiResponse concrete)
        {
            return;
        }

        concrete.Headers ??= new Dictionary<string, IOpenApiHeader>();
        concrete.Headers[name] = new OpenApiHeader { Description = description, Required = true, Schema = schema };
    }

    private static IOpenApiSchema Described(IOpenApiSchema schema, string? description)
    {
        if (description is null)
        {
            return schema;
        }

        if (schema is OpenApiSchema inline)
        {
            inline.Description = description;
            return inline;
        }

        return new OpenApiSchema { AllOf = [schema], Description = description };
    }

    /// <summary>
    /// The problem document for a status: the shared problem schema, narrowed to this status and the types it can carry,
    /// so a client (and the tests) can tell a documented refusal from an undocumented one.
    /// </summary>
    private static OpenApiResponse ProblemResponse(int status, SortedSet<string> types, OperationFilterContext context)
    {
        var (title, description, detail) = Standard.TryGetValue(status, out var known)
            ? known
            : (ReasonPhrases.GetReasonPhrase(status), ReasonPhrases.GetReasonPhrase(status), ReasonPhrases.GetReasonPhrase(status));
        var schemaType = status == 400 ? typeof(HttpValidationProblemDetails) : typeof(ProblemDetails);
        var exampleType = status == 400 ? ProblemTypes.ValidationFailed : types.Contains(ProblemTypes.ForStatus(status)) ? ProblemTypes.ForStatus(status) : types.First();
        var problem = new JsonObject
        {
            ["type"] = exampleType,
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
            Description = $"{description} Problem types: {string.Join(", ", types.Select(t => t[(t.LastIndexOf('/') + 1)..]))}.",
            Content = new Dictionary<string, IOpenApiMediaType>
            {
                [ProblemMediaType] = new OpenApiMediaType
                {
                    Schema = new OpenApiSchema
                    {
                        AllOf =
                        [
                            context.SchemaGenerator.GenerateSchema(schemaType, context.SchemaRepository),
                            new OpenApiSchema
                            {
                                Type = JsonSchemaType.Object,
                                Properties = new Dictionary<string, IOpenApiSchema>
                                {
                                    ["type"] = new OpenApiSchema { Type = JsonSchemaType.String, Enum = [.. types.Select(t => (JsonNode)t)] },
                                    ["status"] = new OpenApiSchema { Type = JsonSchemaType.Integer, Enum = [status] },
                                },
                            },
                        ],
                    },
                    Example = problem,
                },
            },
        };
    }
}
