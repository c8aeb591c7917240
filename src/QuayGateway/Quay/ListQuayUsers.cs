using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Persistence;

namespace QuayGateway.Quay;

/// <summary><c>GET /v1/registries/{id}/quay/users</c>: Quay's superuser list of users, read with the stored token.</summary>
public static class ListQuayUsers
{
    public static Task<Results<Ok<JsonElement>, ProblemHttpResult>> HandleAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, QuayClient quay, QuayCredentials credentials, CancellationToken ct) =>
        QuayRead.PassThroughAsync(id, user, db, credentials, (target, token) => quay.ListSuperusersAsync(target, token, ct), "list users", ct);
}
