using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Api;

/// <summary>
/// <c>PATCH /v1/webhooks/{id}</c> (the given fields change; a new URL passes the SSRF guard again, and one on another
/// host needs the credentials again; enabling a webhook resumes its pending deliveries) and <c>DELETE /v1/webhooks/{id}</c> (with its deliveries).
/// </summary>
public static class UpdateWebhook
{
    public static readonly UpdateWebhookRequest Example = new(Events: [WebhookEventTypes.RegistryAvailable, WebhookEventTypes.RegistryFailed], Enabled: true);

    public static async Task<Results<Ok<WebhookResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        Guid id, UpdateWebhookRequest request, ClaimsPrincipal user, GatewayDb db, DestinationGuard guard, WebhookSecretProtector protector,
        CancellationToken ct)
    {
        var subscription = await db.FindWebhookAsync(id, user, ct);
        if (subscription is null)
        {
            return WebhookProblems.NotFound(id);
        }

        var errors = new Dictionary<string, string[]>();
        if (request.Url is not null)
        {
            WebhookRequestValidator.Url(request.Url, errors);
            if (!errors.ContainsKey("url") && request.Auth is null && subscription.ProtectedAuth is not null
                && MovesElsewhere(subscription.Url, request.Url))
            {
                // Stored credentials were given for one receiver; a URL change must not carry them to another.
                errors["auth"] = [$"The URL moves to another host ('{new Uri(request.Url).Authority}'): give the webhook's credentials again in 'auth'."];
            }
        }

        if (request.Events is not null)
        {
            WebhookRequestValidator.Events(request.Events, errors);
        }

        if (request.Auth is not null)
        {
            WebhookRequestValidator.Auth(subscription.Kind, request.Auth, errors);
        }

        WebhookRequestValidator.ServiceNow(subscription.Kind, request.ServiceNow, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (request.Url is not null && await guard.CheckAsync(new Uri(request.Url), ct) is { } refusal)
        {
            return WebhookProblems.DestinationRefused(refusal);
        }

        var resumes = request.Enabled == true && !subscription.Enabled;
        subscription.Url = request.Url ?? subscription.Url;
        subscription.Events = request.Events?.Distinct().ToArray() ?? subscription.Events;
        if (request.Auth is not null)
        {
            (subscription.ProtectedAuth, subscription.AuthSummary) = (protector.ProtectAuth(request.Auth), request.Auth.Summary());
        }

        subscription.ServiceNow = request.ServiceNow ?? subscription.ServiceNow;
        if (request.Enabled is { } enabled)
        {
            (subscription.Enabled, subscription.DisabledReason) = (enabled, enabled ? null : "Disabled by request.");
        }

        subscription.UpdatedAt = DateTimeOffset.UtcNow;
        if (resumes)
        {
            await ResumeAsync(db, subscription.Id, ct);
        }

        await db.SaveChangesAsync(ct);

        return TypedResults.Ok(WebhookResponse.From(subscription));
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(Guid id, ClaimsPrincipal user, GatewayDb db, CancellationToken ct)
    {
        var subscription = await db.FindWebhookAsync(id, user, ct);
        if (subscription is null)
        {
            return WebhookProblems.NotFound(id);
        }

        db.WebhookSubscriptions.Remove(subscription);
        await db.SaveChangesAsync(ct);
        return TypedResults.NoContent();
    }

    /// <summary>Another scheme, host or port: a downgrade to http would expose the credentials too.</summary>
    private static bool MovesElsewhere(string from, string to) =>
        Uri.Compare(new Uri(from), new Uri(to), UriComponents.SchemeAndServer, UriFormat.SafeUnescaped, StringComparison.OrdinalIgnoreCase) != 0;

    /// <summary>Re-enqueues the pending deliveries of a re-enabled webhook, in the same unit of work (job outbox).</summary>
    private static async Task ResumeAsync(GatewayDb db, Guid subscriptionId, CancellationToken ct)
    {
        var queues = await db.WebhookDeliveries.Where(d => d.SubscriptionId == subscriptionId && d.Status == DeliveryStatus.Pending)
            .Select(d => d.OrderingKey).Distinct().ToListAsync(ct);
        foreach (var key in queues)
        {
            db.EnqueueJob<WebhookDeliveryJob>(j => j.RunAsync(subscriptionId, key, CancellationToken.None));
        }
    }
}
