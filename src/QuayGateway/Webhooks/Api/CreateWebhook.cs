using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Security;
using QuayGateway.Tenants;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Api;

/// <summary><c>POST /v1/webhooks</c>: validate, refuse internal destinations, store with an encrypted new secret, show the secret once.</summary>
public static class CreateWebhook
{
    public static readonly CreateWebhookRequest Example = new(
        "https://hooks.example.com/quay-gateway",
        [WebhookEventTypes.RegistryAccepted, WebhookEventTypes.RegistryAvailable, WebhookEventTypes.RegistryReady, WebhookEventTypes.RegistryFailed],
        WebhookKinds.Standard);

    public static async Task<Results<Created<CreatedWebhookResponse>, ValidationProblem, ProblemHttpResult>> HandleAsync(
        CreateWebhookRequest request, ClaimsPrincipal user, GatewayDb db, DestinationGuard guard, WebhookSecretProtector protector,
        TenantPolicies policies, CancellationToken ct)
    {
        var kind = request.Kind ?? WebhookKinds.Standard;
        var errors = new Dictionary<string, string[]>();
        WebhookRequestValidator.Url(request.Url, errors);
        WebhookRequestValidator.Events(request.Events, errors);
        if (!WebhookKinds.All.Contains(kind))
        {
            errors["kind"] = [$"Give one of: {string.Join(", ", WebhookKinds.All)}."];
        }
        else
        {
            WebhookRequestValidator.Auth(kind, request.Auth, errors);
            WebhookRequestValidator.ServiceNow(kind, request.ServiceNow, errors);
        }

        if (errors.Count > 0)
        {
            return Problems.Validation(errors);
        }

        if (await guard.CheckAsync(new Uri(request.Url), ct) is { } refusal)
        {
            return WebhookProblems.DestinationRefused(refusal);
        }

        // The quota check holds the tenant's webhook count until the commit, so concurrent creates cannot pass it together.
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        if (await policies.AdmitWebhookAsync(db, user.Tenant(), ct) is { } refused)
        {
            return refused;
        }

        var secret = WebhookSignature.NewSecret();
        var subscription = new WebhookSubscription
        {
            Tenant = user.Tenant(),
            Url = request.Url,
            Events = request.Events.Distinct().ToArray(),
            Kind = kind,
            ProtectedSecret = protector.Protect(secret),
            ProtectedAuth = request.Auth is null ? null : protector.ProtectAuth(request.Auth),
            AuthSummary = request.Auth?.Summary(),
            ServiceNow = request.ServiceNow,
        };
        db.WebhookSubscriptions.Add(subscription);
        await db.SaveChangesAsync(ct);
        await transaction.CommitAsync(ct);
        return TypedResults.Created(WebhooksApi.Location(subscription.Id), new CreatedWebhookResponse(
            subscription.Id, subscription.Url, subscription.Events, subscription.Kind, subscription.Enabled, subscription.AuthSummary,
            subscription.ServiceNow, subscription.CreatedAt, secret));
    }
}
