using System.ComponentModel.DataAnnotations;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Api;

/// <summary>
/// The body of <c>POST /v1/webhooks</c>. <c>auth</c> depends on the kind: <c>jira</c> needs <c>token</c> (sent as
/// <c>X-Automation-Webhook-Token</c>); <c>servicenow</c> needs <c>username</c> and <c>password</c> or <c>bearerToken</c>;
/// <c>standard</c> takes an optional <c>bearerToken</c>. For <c>servicenow</c>, <c>url</c> is the instance's base URL.
/// </summary>
/// <param name="Url">Where to deliver: an https URL (for <c>servicenow</c>, the instance's base URL). Loopback and private addresses are refused unless allowed.</param>
/// <param name="Events">The event types to deliver.</param>
/// <param name="Kind">What the receiver is; <c>standard</c> when left out.</param>
/// <param name="Auth">Credentials for the receiver; stored encrypted, never returned.</param>
/// <param name="ServiceNow">For <c>servicenow</c>: the table and the fields to write; defaults when left out.</param>
public sealed record CreateWebhookRequest(
    [property: Required, MaxLength(WebhookRequestValidator.MaxUrlLength)] string Url,
    [property: Required] IReadOnlyList<string> Events,
    string? Kind = null,
    WebhookAuth? Auth = null,
    ServiceNowSettings? ServiceNow = null);

/// <summary>The body of <c>PATCH /v1/webhooks/{id}</c>: only the fields given change. The kind cannot change.</summary>
/// <param name="Url">A new delivery URL.</param>
/// <param name="Events">Replaces the event types.</param>
/// <param name="Enabled">Enables or disables delivery; enabling clears <c>disabledReason</c>.</param>
/// <param name="Auth">Replaces the receiver's credentials.</param>
/// <param name="ServiceNow">Replaces the ServiceNow settings.</param>
public sealed record UpdateWebhookRequest(
    [property: MaxLength(WebhookRequestValidator.MaxUrlLength)] string? Url = null,
    IReadOnlyList<string>? Events = null,
    bool? Enabled = null,
    WebhookAuth? Auth = null,
    ServiceNowSettings? ServiceNow = null);

/// <summary>A webhook as returned: never its secret or credentials.</summary>
/// <param name="Id">The webhook's id.</param>
/// <param name="Url">Where events are delivered.</param>
/// <param name="Events">The event types delivered.</param>
/// <param name="Kind">What the receiver is.</param>
/// <param name="Enabled">Whether events are delivered.</param>
/// <param name="DisabledReason">Why delivery stopped (the receiver answered 410, or too many failures); null while enabled.</param>
/// <param name="Auth">What kind of credentials the receiver gets; null when none. Never the secret.</param>
/// <param name="ServiceNow">The ServiceNow settings, with the defaults filled in; null for other kinds.</param>
/// <param name="PreviousSecretExpiresAt">Until when the previous signing secret still signs, after a rotation; null otherwise.</param>
/// <param name="CreatedAt">When the webhook was created.</param>
/// <param name="UpdatedAt">When the webhook last changed.</param>
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
/// <param name="Id">The webhook's id.</param>
/// <param name="Url">Where events are delivered.</param>
/// <param name="Events">The event types delivered.</param>
/// <param name="Kind">What the receiver is.</param>
/// <param name="Enabled">Whether events are delivered.</param>
/// <param name="Auth">What kind of credentials the receiver gets; null when none.</param>
/// <param name="ServiceNow">The ServiceNow settings; null for other kinds.</param>
/// <param name="CreatedAt">When the webhook was created.</param>
/// <param name="Secret">The Standard Webhooks signing secret (<c>whsec_</c> and base64); shown only in this answer.</param>
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

/// <param name="Items">The tenant's webhooks, oldest first.</param>
public sealed record WebhookList(IReadOnlyList<WebhookResponse> Items);

/// <summary>The answer to a rotation: the new secret, shown this once, and until when the previous one still signs.</summary>
/// <param name="Secret">The new signing secret (<c>whsec_</c> and base64); shown only in this answer.</param>
/// <param name="PreviousSecretExpiresAt">Until when the previous secret still signs (24 hours); the signature header carries both until then.</param>
public sealed record RotatedSecretResponse(string Secret, DateTimeOffset PreviousSecretExpiresAt);

/// <summary>One delivery of an event to the webhook; <c>messageId</c> is the <c>webhook-id</c> header, the same on every attempt.</summary>
/// <param name="Id">The delivery's id; used by <c>redeliver</c>.</param>
/// <param name="MessageId">The <c>webhook-id</c> header, the same on every attempt (for the receiver's deduplication).</param>
/// <param name="EventId">The event's id (the payload's <c>id</c>).</param>
/// <param name="EventType">The event's type.</param>
/// <param name="RegistryId">The registry the event is about; null for a ping.</param>
/// <param name="Status">Where the delivery stands.</param>
/// <param name="AttemptCount">How many attempts were made.</param>
/// <param name="NextAttemptAt">When the next attempt is due; null when none is.</param>
/// <param name="CreatedAt">When the delivery was queued.</param>
/// <param name="CompletedAt">When it succeeded or failed for good; null while pending.</param>
/// <param name="RedeliveryOf">The delivery this one repeats, when it is a redelivery.</param>
/// <param name="Attempts">The attempts, oldest first.</param>
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
/// <param name="At">When the attempt was made.</param>
/// <param name="StatusCode">The receiver's HTTP status code; null when it was not reached.</param>
/// <param name="DurationMs">How long the attempt took, in milliseconds.</param>
/// <param name="Error">What went wrong (the status, a timeout, a refused destination); null on success.</param>
public sealed record AttemptResponse(DateTimeOffset At, int? StatusCode, int DurationMs, string? Error);

/// <summary>A page of deliveries, newest first; pass <c>nextCursor</c> as <c>cursor</c> for the next one.</summary>
/// <param name="Items">The deliveries of this page, newest first.</param>
/// <param name="NextCursor">Pass as <c>cursor</c> to read the next page; null on the last page.</param>
public sealed record DeliveryPage(IReadOnlyList<DeliveryResponse> Items, string? NextCursor);
