using QuayGateway.Hosting;
using QuayGateway.Security;

namespace QuayGateway.Registries;

public static class RegistriesApi
{
    public const string GetRouteName = "GetRegistry";

    public static string Location(Guid id) => $"/v1/registries/{id}";

    public static IEndpointRouteBuilder MapRegistries(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/registries").WithTags("Registries");

        group.MapPost("/", CreateRegistry.HandleAsync)
            .RequireAuthorization(Scopes.RegistriesWrite)
            .WithName("CreateRegistry")
            .WithSummary("Request a Quay registry")
            .WithDescription("Validates and stores the request, then applies the namespace, config-bundle Secret and QuayRegistry " +
                             "in the target cluster through a background job. Answers 202 with Location. An Idempotency-Key " +
                             "replays the first answer for the same body and gives 409 for a different body. A second registry " +
                             "with the same cluster, namespace and name gives 409.")
            .WithRequestExample(CreateRegistry.Example);

        group.MapGet("/", ListRegistries.HandleAsync)
            .RequireAuthorization(Scopes.RegistriesRead)
            .WithName("ListRegistries")
            .WithSummary("List registries")
            .WithDescription("The tenant's registries, newest first. Filter by state, cluster and namespace; page with limit and the returned nextCursor.");

        group.MapGet("/{id:guid}", GetRegistry.HandleAsync)
            .RequireAuthorization(Scopes.RegistriesRead)
            .WithName(GetRouteName)
            .WithSummary("Get a registry")
            .WithDescription("One registry with its state, health and conditions. The ETag header supports If-None-Match (and If-Match on PATCH).");
        return app;
    }
}
