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

    /// <summary>
    /// 201 when this call created the organization; 200 when it existed already with the e-mail asked for (or none was
    /// asked for); 409 <c>quay-organization-exists</c>, naming the e-mail Quay keeps, when it exists with another one.
    /// The answer shows only what Quay stored.
    /// </summary>
    public static async Task<Results<Created<OrganizationSpec>, Ok<OrganizationSpec>, ValidationProblem, ProblemHttpResult>> CreateAsync(
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

        var (outcome, problem) = await organizations.CreateAsync(registry, request, ct);
        if (outcome is null)
        {
            return problem!.ToResult();
        }

        var email = outcome.Email;
        if (email is null && !outcome.Created)
        {
            (email, problem) = await organizations.StoredEmailAsync(registry, request.Name, ct);
            if (problem is not null)
            {
                return problem.ToResult();
            }
        }

        if (request.Email is not null && !string.Equals(email, request.Email, StringComparison.OrdinalIgnoreCase))
        {
            return Exists(request.Name, email);
        }

        var shown = new OrganizationSpec(request.Name, email);
        return outcome.Created ? TypedResults.Created(Location(id, request.Name), shown) : TypedResults.Ok(shown);
    }

    /// <summary>The organization is there with another e-mail: Quay's is named, the one asked for was not applied.</summary>
    private static ProblemHttpResult Exists(string name, string? stored) => TypedResults.Problem(
        $"Organization '{name}' exists already{(string.IsNullOrEmpty(stored) ? "" : $", with e-mail '{stored}'")}. The gateway does not change " +
        "an existing organization's e-mail, and did not apply the one in this request; change it in Quay (Organization → Settings) " +
        "or create the organization under another name.",
        statusCode: StatusCodes.Status409Conflict, title: "Organization exists with another e-mail", type: ProblemTypes.QuayOrganizationExists,
        extensions: new Dictionary<string, object?> { ["organization"] = name, ["email"] = stored });

    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> GetAsync(
        Guid id, string org, ClaimsPrincipal user, GatewayDb db, QuayClient quay, QuayCredentials credentials, CancellationToken ct) =>
        QuayRead.PassThroughAsync(id, user, db, credentials, (target, token) => quay.GetOrganizationAsync(target, token, org, ct),
            $"read organization '{org}'", ct);
}
