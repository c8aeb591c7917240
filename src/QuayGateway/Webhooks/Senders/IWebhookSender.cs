using QuayGateway.Webhooks.Model;

namespace QuayGateway.Webhooks.Senders;

/// <summary>The seam to webhook receivers: one sender per subscription kind (standard, jira, servicenow).</summary>
public interface IWebhookSender
{
    string Kind { get; }

    Task<SendOutcome> SendAsync(OutgoingMessage message, CancellationToken ct);
}

/// <summary>One delivery attempt's input: where, what (the stored event), signed with which secrets, with which credentials.</summary>
public sealed record OutgoingMessage(
    Uri Url,
    string MessageId,
    WebhookEvent Event,
    IReadOnlyList<string> Secrets,
    WebhookAuth? Auth,
    ServiceNowSettings? ServiceNow,
    string? ExternalId);

/// <summary>
/// What the receiver answered: its status code (none when it was not reached), an error text for anything but success,
/// the <c>Retry-After</c> it asked for, and the id of a record it created (ServiceNow's <c>sys_id</c>).
/// </summary>
public sealed record SendOutcome(int? StatusCode, string? Error, TimeSpan? RetryAfter = null, string? ExternalId = null)
{
    public bool Succeeded => Error is null && StatusCode is >= 200 and < 300;
}
