using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>A read from a registry's Quay with the stored token, passed through as Quay answered it.</summary>
internal static class QuayRead
{
    public static async Task<Results<Ok<JsonElement>, ProblemHttpResult>> PassThroughAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, QuayDestinations destinations, QuayTokenVault vault, Func<QuayTarget, string, Task<QuayAnswer>> call, string action,
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

        var (target, refused) = destinations.For(registry);
        if (target is null)
        {
            return refused!.ToResult();
        }

        if (!vault.TryOpen(await db.QuayAccounts.FindAsync([id], ct), out var token, out var problem))
        {
            return problem.ToResult();
        }

        try
        {
            var answer = await call(target, token);
            return answer.IsSuccess && answer.Json is { } body
                ? TypedResults.Ok(JsonSerializer.SerializeToElement(body))
                : QuayProblem.FromAnswer(answer, action).ToResult();
        }
        catch (QuayCallException e)
        {
            return QuayProblem.FromCallFailure(e).ToResult();
        }
    }
}
