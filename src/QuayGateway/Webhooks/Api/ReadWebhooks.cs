using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;
using QuayGateway.Security;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Api;

/// <summary><c>GET /v1/webhooks</c> and <c>GET /v1/webhooks/{id}</c>: the tenant's webhooks, without secrets or credentials.</summary>
public static class ReadWebhooks
{
    public static async Task<Ok<WebhookList>> ListAsync(ClaimsPrincipal user, GatewayDb db, CancellationToken ct)
    {
        var tenant = user.Tenant();
        var subscriptions = await db.WebhookSubscriptions.AsNoTracking().Where(s => s.Tenant == tenant).OrderBy(s => s.Id).ToListAsync(ct);
        return TypedResults.Ok(new WebhookList(subscriptions.Select(WebhookResponse.From).ToList()));
    }

    public static async Task<Results<Ok<WebhookResponse>, ProblemHttpResult>> GetAsync(Guid id, ClaimsPrincipal user, GatewayDb db, CancellationToken ct) =>
        await db.FindWebhookAsync(id, user, ct, tracked: false) is { } subscription
            ? TypedResults.Ok(WebhookResponse.From(subscription))
            : WebhookProblems.NotFound(id);

    /// <summary>The caller's webhook, or null: another tenant's webhook does not exist for the caller.</summary>
    public static Task<WebhookSubscription?> FindWebhookAsync(this GatewayDb db, Guid id, ClaimsPrincipal user, CancellationToken ct, bool tracked = true)
    {
        var tenant = user.Tenant();
        var query = tracked ? db.WebhookSubscriptions : db.WebhookSubscriptions.AsNoTracking();
        return query.SingleOrDefaultAsync(s => s.Id == id && s.Tenant == tenant, ct);
    }
}
