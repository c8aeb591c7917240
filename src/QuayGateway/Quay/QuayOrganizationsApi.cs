using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary><c>POST</c> and <c>GET /v1/registries/{id}/quay/organizations</c>, made with the stored token.</summary>
public static class QuayOrganizationsApi
{
    public static readonly OrganizationSpec Example = new("testorg", "testorg@example.com");

    public static string Location(Guid id, string organization) => $"{RegistriesApi.Location(id)}/quay/organizations/{Uri.EscapeDataString(organization)}";

    public static async Task<Results<Created<OrganizationSpec>, ValidationProblem, ProblemHttpResult>> CreateAsync(
        Guid id, OrganizationSpec request, ClaimsPrincipal user, GatewayDb db, QuayOrganizations organizations, CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var errors = QuayRules.CheckOrganization(request.Name, request.Email);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (!registry.IsAvailable)
        {
            return QuayProblem.NotAvailable(registry).ToResult();
        }

        return await organizations.CreateAsync(registry, request, ct) is { } problem
            ? problem.ToResult()
            : TypedResults.Created(Location(id, request.Name), request);
    }

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> GetAsync(
        Guid id, string org, ClaimsPrincipal user, GatewayDb db, QuayClient quay, QuayCredentials credentials, CancellationToken ct) =>
        QuayRead.PassThroughAsync(id, user, db, credentials, (target, token) => quay.GetOrganizationAsync(target, token, org, ct),
            $"read organization '{org}'", ct);
}
