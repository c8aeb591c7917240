using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Persistence;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Api;

/// <summary>
/// <c>POST /v1/webhooks/{id}/rotate-secret</c>: a new secret, shown once. The current one becomes the previous one and
/// keeps signing (a second <c>v1,</c> value in <c>webhook-signature</c>) for the overlap (24 h), so receivers can switch
/// without losing a message. A rotation during an overlap ends the older secret's overlap.
/// </summary>
public static class RotateWebhookSecret
{
    public static async Task<Results<Ok<RotatedSecretResponse>, ProblemHttpResult>> HandleAsync(
        Guid id, ClaimsPrincipal user, GatewayDb db, WebhookSecretProtector protector, WebhookOptions options, CancellationToken ct)
    {
        var subscription = await db.FindWebhookAsync(id, user, ct);
        if (subscription is null)
        {
            return WebhookProblems.NotFound(id);
        }

        var now = DateTimeOffset.UtcNow;
        var secret = WebhookSignature.NewSecret();
        subscription.ProtectedPreviousSecret = subscription.ProtectedSecret;
        subscription.PreviousSecretExpiresAt = now + options.SecretOverlap;
        subscription.ProtectedSecret = protector.Protect(secret);
        subscription.UpdatedAt = now;
        await db.SaveChangesAsync(ct);
        return TypedResults.Ok(new RotatedSecretResponse(secret, subscription.PreviousSecretExpiresAt.Value));
    }
}
