using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>
/// <c>POST /v1/registries/{id}/quay/initialize</c>: creates Quay's first user and returns its token, once. The body is
/// checked against Quay's own rules first, so a bad password is a 400 with Quay's words and no call is made.
/// </summary>
public static class InitializeQuayUser
{
    public static readonly InitialUserRequest Example = new("quayadmin", "quayadmin@example.com", "quaypass123");

    public static async Task<Results<Created<QuayUserCreated>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        Guid id, InitialUserRequest request, ClaimsPrincipal user, GatewayDb db, QuayInitializer initializer, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var errors = QuayRules.CheckUser(request.Username, request.Password, request.Email);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (!registry.IsAvailable)
        {
            return QuayProblem.NotAvailable(registry).ToResult();
        }

        var (created, problem) = await initializer.InitializeAsync(registry, request, askAgainIfUnconfirmed: true, ct);
        return created is not null ? TypedResults.Created($"{RegistriesApi.Location(id)}/quay/users", created) : problem!.ToResult();
    }
}
