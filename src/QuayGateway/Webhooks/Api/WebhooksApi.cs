using QuayGateway.Hosting;
using QuayGateway.Security;

namespace QuayGateway.Webhooks.Api;

public static class WebhooksApi
{
    public const string GetRouteName = "GetWebhook";

    public static string Location(Guid id) => $"/v1/webhooks/{id}";

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/webhooks").WithTags("Webhooks").RequireAuthorization(Scopes.WebhooksAdmin);

        group.MapPost("/", CreateWebhook.HandleAsync)
            .WithName("CreateWebhook")
            .WithSummary("Subscribe a webhook")
            .WithDescription("Subscribes a URL to registry and Quay events. kind is standard (Standard Webhooks signing), jira (a Jira " +
                             "Automation incoming webhook; auth.token is sent as X-Automation-Webhook-Token) or servicenow (the Table " +
                             "API of the instance at url; basic or bearer auth). URLs that resolve to loopback, link-local or private " +
                             "addresses are refused unless Gateway:Webhooks:AllowedDestinations lists them. Answers 201 with the " +
                             "signing secret (whsec_…), which is shown only here.")
            .ProducesProblems(StatusCodes.Status400BadRequest, ProblemTypes.WebhookDestinationRefused)
            .ProducesProblems(StatusCodes.Status403Forbidden, ProblemTypes.TenantNotConfigured, ProblemTypes.QuotaExceeded)
            .WithRequestExample(CreateWebhook.Example);

        group.MapGet("/", ReadWebhooks.ListAsync)
            .WithName("ListWebhooks")
            .WithSummary("List webhooks")
            .WithDescription("The tenant's webhooks, without secrets or credentials.");

        group.MapGet("/{id:guid}", ReadWebhooks.GetAsync)
            .WithName(GetRouteName)
            .WithSummary("Get a webhook")
            .WithDescription("One webhook, without its secret or credentials. Another tenant's webhook answers 404.");

        group.MapPatch("/{id:guid}", UpdateWebhook.HandleAsync)
            .WithName("UpdateWebhook")
            .WithSummary("Change a webhook")
            .WithDescription("Changes the URL, events, credentials, ServiceNow settings or enabled flag; fields left out stay. " +
                             "Enabling a webhook that a 410 disabled resumes its pending deliveries.")
            .ProducesProblems(StatusCodes.Status400BadRequest, ProblemTypes.WebhookDestinationRefused)
            .WithRequestExample(UpdateWebhook.Example);

        group.MapDelete("/{id:guid}", UpdateWebhook.DeleteAsync)
            .WithName("DeleteWebhook")
            .WithSummary("Delete a webhook")
            .WithDescription("Deletes the webhook with its deliveries; nothing more is sent to it.");

        group.MapPost("/{id:guid}/rotate-secret", RotateWebhookSecret.HandleAsync)
            .WithName("RotateWebhookSecret")
            .WithSummary("Rotate the signing secret")
            .WithDescription("Answers a new secret, shown only here. The previous secret keeps signing for 24 hours: meanwhile " +
                             "webhook-signature carries two space-separated v1 signatures, one per secret.");

        group.MapGet("/{id:guid}/deliveries", WebhookDeliveries.ListAsync)
            .WithName("ListWebhookDeliveries")
            .WithSummary("List deliveries")
            .WithDescription("The webhook's deliveries, newest first, each with its webhook-id (messageId), status and every attempt's " +
                             "time, status code, duration and error. Filter by status; page with limit and the returned nextCursor.");

        group.MapPost("/{id:guid}/deliveries/{deliveryId:guid}/redeliver", WebhookDeliveries.RedeliverAsync)
            .WithName("RedeliverWebhookDelivery")
            .WithSummary("Redeliver a delivery")
            .WithDescription("Sends a succeeded or failed delivery again, as a new delivery with the same webhook-id. Answers 202; " +
                             "a delivery still pending answers 409.")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemTypes.InvalidState, ProblemTypes.WebhookDisabled);

        group.MapPost("/{id:guid}/ping", PingWebhook.HandleAsync)
            .WithName("PingWebhook")
            .WithSummary("Ping a webhook")
            .WithDescription("Sends a webhook.ping event through the normal delivery path (signed, retried, logged) and answers 202 " +
                             "with the delivery; its outcome shows in the delivery log.")
            .ProducesProblems(StatusCodes.Status409Conflict, ProblemTypes.WebhookDisabled);
        return app;
    }
}
