using Microsoft.AspNetCore.Authorization;
using Microsoft.OpenApi;
using Swashbuckle.AspNetCore.SwaggerGen;

namespace QuayGateway.Security;

/// <summary>
/// How the OpenAPI document says to authenticate: the API-key and bearer schemes, required by every operation that
/// does not allow anonymous callers. Security's part of the document, so the document's setup in Hosting need not know
/// the schemes (Hosting lies below Security).
/// </summary>
internal sealed class OpenApiAuthentication : IOperationFilter
{
    /// <summary>Bearer tokens from the OIDC provider: always declared (the committed document has it).</summary>
    public const string BearerScheme = "Bearer";

    /// <summary>Swagger UI's sign-in (authorization code with PKCE): declared only when a provider and its Swagger UI client are configured.</summary>
    public const string OAuth2Scheme = "OAuth2";

    public static void Declare(SwaggerGenOptions o)
    {
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
        o.OperationFilter<OpenApiAuthentication>();
    }

    public void Apply(OpenApiOperation operation, OperationFilterContext context)
    {
        if (context.ApiDescription.ActionDescriptor.EndpointMetadata.OfType<IAllowAnonymous>().Any())
        {
            return;
        }
        operation.Security ??= [];
        operation.Security.Add(new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(ApiKeyAuthenticationHandler.SchemeName, context.Document)] = [],
        });
        operation.Security.Add(new OpenApiSecurityRequirement
        {
            [new OpenApiSecuritySchemeReference(BearerScheme, context.Document)] = [],
        });
    }
}
