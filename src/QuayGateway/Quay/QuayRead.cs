using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>A read from a registry's Quay with the stored credentials (see <see cref="QuayCredentials"/>), passed through as Quay answered it.</summary>
internal static class QuayRead
{
    public static async Task<Results<Ok<JsonElement>, ProblemHttpResult>> PassThroughAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, QuayCredentials credentials, Func<QuayTarget, string, Task<QuayAnswer>> call, string action,
        CancellationToken ct)
    {
        var registry = await db.OfTenant(user).FindAsync(id, ct);
        if (registry is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        if (!registry.IsAvailable)
        {
            return QuayProblem.NotAvailable(registry).ToResult();
        }

        var (answer, problem) = await credentials.CallAsync(registry, call, ct);
        if (answer is null)
        {
            return problem!.ToResult();
        }

        return answer.IsSuccess && answer.Json is { } body
            ? TypedResults.Ok(JsonSerializer.SerializeToElement(body))
            : QuayProblem.FromAnswer(answer, action).ToResult();
    }
}
