using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Hosting;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Api;

public static class WebhookProblems
{
    public static ProblemHttpResult DestinationRefused(string detail) =>
        Problems.Problem(StatusCodes.Status400BadRequest, ProblemTypes.WebhookDestinationRefused, "Webhook destination refused", detail);

    public static ProblemHttpResult NotFound(Guid id) => Problems.NotFound($"Webhook '{id}'");

    public static ProblemHttpResult Disabled(WebhookSubscription subscription) =>
        Problems.Conflict(ProblemTypes.WebhookDisabled, "Webhook disabled",
            $"Webhook '{subscription.Id}' is disabled ({subscription.DisabledReason ?? "by request"}). Enable it with PATCH {{\"enabled\": true}} first.");
}
