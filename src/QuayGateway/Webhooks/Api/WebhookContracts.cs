using System.ComponentModel.DataAnnotations;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Api;

/// <summary>
/// The body of <c>POST /v1/webhooks</c>. <c>auth</c> depends on the kind: <c>jira</c> needs <c>token</c> (sent as
/// <c>X-Automation-Webhook-Token</c>); <c>servicenow</c> needs <c>username</c> and <c>password</c> or <c>bearerToken</c>;
/// <c>standard</c> takes an optional <c>bearerToken</c>. For <c>servicenow</c>, <c>url</c> is the instance's base URL.
/// </summary>
public sealed record CreateWebhookRequest(
    [property: Required, MaxLength(WebhookRequestValidator.MaxUrlLength)] string Url,
    [property: Required] IReadOnlyList<string> Events,
    string? Kind = null,
    WebhookAuth? Auth = null,
    ServiceNowSettings? ServiceNow = null);

/// <summary>The body of <c>PATCH /v1/webhooks/{id}</c>: only the fields given change. The kind cannot change.</summary>
public sealed record UpdateWebhookRequest(
    [property: MaxLength(WebhookRequestValidator.MaxUrlLength)] string? Url = null,
    IReadOnlyList<string>? Events = null,
    bool? Enabled = null,
    WebhookAuth? Auth = null,
    ServiceNowSettings? ServiceNow = null);

/// <summary>A webhook as returned: never its secret or credentials.</summary>
public sealed record WebhookResponse(
    Guid Id,
    string Url,
    IReadOnlyList<string> Events,
    string Kind,
    bool Enabled,
    string? DisabledReason,
    WebhookAuthSummary? Auth,
    ServiceNowSettings? ServiceNow,
    DateTimeOffset? PreviousSecretExpiresAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt)
{
    public static WebhookResponse From(WebhookSubscription s) => new(
        s.Id, s.Url, s.Events, s.Kind, s.Enabled, s.DisabledReason, s.AuthSummary, s.ServiceNow,
        s.PreviousSecretExpiresAt > DateTimeOffset.UtcNow ? s.PreviousSecretExpiresAt : null, s.CreatedAt, s.UpdatedAt);
}

/// <summary>The answer to a create: the webhook plus its signing secret, shown this once.</summary>
public sealed record CreatedWebhookResponse(
    Guid Id,
    string Url,
    IReadOnlyList<string> Events,
    string Kind,
    bool Enabled,
    WebhookAuthSummary? Auth,
    ServiceNowSettings? ServiceNow,
    DateTimeOffset CreatedAt,
    string Secret);

public sealed record WebhookList(IReadOnlyList<WebhookResponse> Items);

/// <summary>The answer to a rotation: the new secret, shown this once, and until when the previous one still signs.</summary>
public sealed record RotatedSecretResponse(string Secret, DateTimeOffset PreviousSecretExpiresAt);

/// <summary>One delivery of an event to the webhook; <c>messageId</c> is the <c>webhook-id</c> header, the same on every attempt.</summary>
public sealed record DeliveryResponse(
    Guid Id,
    string MessageId,
    string EventId,
    string EventType,
    Guid? RegistryId,
    DeliveryStatus Status,
    int AttemptCount,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset? CompletedAt,
    Guid? RedeliveryOf,
    IReadOnlyList<AttemptResponse> Attempts)
{
    public static DeliveryResponse From(WebhookDelivery d) => new(
        d.Id, d.MessageId, d.Event.EventId, d.Event.Type, d.Event.RegistryId, d.Status, d.AttemptCount, d.NextAttemptAt, d.CreatedAt,
        d.CompletedAt, d.RedeliveryOf,
        d.Attempts.OrderBy(a => a.Id).Select(a => new AttemptResponse(a.At, a.StatusCode, a.DurationMs, a.Error)).ToList());
}

/// <summary>One attempt: when, the receiver's status code (null when it was not reached), how long, and the error.</summary>
public sealed record AttemptResponse(DateTimeOffset At, int? StatusCode, int DurationMs, string? Error);

/// <summary>A page of deliveries, newest first; pass <c>nextCursor</c> as <c>cursor</c> for the next one.</summary>
public sealed record DeliveryPage(IReadOnlyList<DeliveryResponse> Items, string? NextCursor);
