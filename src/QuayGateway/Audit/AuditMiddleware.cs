using System.Security.Claims;
using QuayGateway.Security;

namespace QuayGateway.Audit;

/// <summary>
/// Records every write to <c>/v1/</c> (POST, PUT, PATCH, DELETE on a named endpoint) once its status is known,
/// refusals (401, 403) and failures included. It sits outside the exception handler, so a failure is recorded with the
/// status the client got. Reads pass through untouched. A write that committed its entry itself
/// (<see cref="AuditInTransaction"/>) is not recorded again, unless it ended with another status than that entry's.
/// </summary>
internal static class AuditMiddleware
{
    public const string Anonymous = "anonymous";

    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!IsAudited(context, out var action))
        {
            await next(context);
            return;
        }

        // Read now: the exception handler clears the endpoint before it answers.
        var path = context.Request.Path.Value ?? "/";
        try
        {
            await next(context);
        }
        finally
        {
            var status = context.Response.StatusCode;
            if (context.Features.Get<AuditInTransaction.Committed>()?.Status != status)
            {
                await context.RequestServices.GetRequiredService<AuditRecorder>().RecordAsync(
                    Describe(context, action, TargetOf(context, path, status), status));
            }
        }
    }

    /// <summary>Whether this request is a write the audit log records, and its operation.</summary>
    internal static bool IsAudited(HttpContext context, out string action)
    {
        var request = context.Request;
        if (IsWrite(request.Method) && request.Path.StartsWithSegments("/v1", StringComparison.OrdinalIgnoreCase)
            && context.GetEndpoint()?.Metadata.GetMetadata<IEndpointNameMetadata>() is { } name)
        {
            action = name.EndpointName;
            return true;
        }

        action = "";
        return false;
    }

    /// <summary>The entry for this request ending with <paramref name="status"/>: who, which operation on what, how it ended.</summary>
    internal static AuditEntry Describe(HttpContext context, string action, string target, int status)
    {
        var user = context.User;
        var authenticated = user.Identity?.IsAuthenticated == true;
        return new AuditEntry
        {
            At = DateTimeOffset.UtcNow,
            Actor = authenticated ? ActorOf(user) : Anonymous,
            Tenant = authenticated ? user.FindFirstValue(Scopes.TenantClaim) : null,
            Action = action,
            Target = target,
            Outcome = AuditOutcomes.For(status),
            Status = status,
            RequestId = context.TraceIdentifier,
        };
    }

    private static bool IsWrite(string method) =>
        HttpMethods.IsPost(method) || HttpMethods.IsPut(method) || HttpMethods.IsPatch(method) || HttpMethods.IsDelete(method);

    /// <summary>The API key's id, or the token's subject.</summary>
    private static string ActorOf(ClaimsPrincipal user) =>
        user.FindFirstValue(ClaimTypes.NameIdentifier) ?? user.FindFirstValue("sub") ?? Anonymous;

    /// <summary>What a create made (its Location), otherwise the path the request named. Never the query string.</summary>
    private static string TargetOf(HttpContext context, string path, int status) =>
        status is StatusCodes.Status201Created or StatusCodes.Status202Accepted
        && context.Response.Headers.Location is [{ } location] && location.StartsWith('/')
            ? location
            : path;
}
