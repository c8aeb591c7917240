using System.ComponentModel.DataAnnotations;
using QuayGateway.Persistence;

namespace QuayGateway.Webhooks.Model;

/// <summary>A tenant's webhook endpoint. Secrets and credentials are kept encrypted (Data Protection), never in the clear.</summary>
public sealed class WebhookSubscription
{
    public Guid Id { get; init; } = Uuid7.New();
    public required string Tenant { get; init; }
    public required string Url { get; set; }
    public required string[] Events { get; set; }
    public required string Kind { get; init; }
    public bool Enabled { get; set; } = true;
    public string? DisabledReason { get; set; }

    /// <summary>The current signing secret (<c>whsec_…</c>), encrypted.</summary>
    public required string ProtectedSecret { get; set; }

    /// <summary>The secret before the last rotation, encrypted; it keeps signing until <see cref="PreviousSecretExpiresAt"/>.</summary>
    public string? ProtectedPreviousSecret { get; set; }
    public DateTimeOffset? PreviousSecretExpiresAt { get; set; }

    /// <summary>The kind's credentials (Jira token, ServiceNow user/password or bearer token), encrypted JSON.</summary>
    public string? ProtectedAuth { get; set; }

    /// <summary>What the credentials are, without their secret parts, for responses.</summary>
    public WebhookAuthSummary? AuthSummary { get; set; }

    public ServiceNowSettings? ServiceNow { get; set; }
    public DateTimeOffset CreatedAt { get; init; } = DateTimeOffset.UtcNow;
    public DateTimeOffset UpdatedAt { get; set; } = DateTimeOffset.UtcNow;

    public bool Wants(string eventType) => Events.Contains(eventType, StringComparer.Ordinal);

    /// <summary>The secrets that sign a message now: the current one first, then the previous one during the overlap.</summary>
    public IReadOnlyList<string> SigningSecrets(WebhookSecretProtector protector, DateTimeOffset now) =>
        ProtectedPreviousSecret is not null && PreviousSecretExpiresAt > now
            ? [protector.Unprotect(ProtectedSecret), protector.Unprotect(ProtectedPreviousSecret)]
            : [protector.Unprotect(ProtectedSecret)];
}

/// <summary>
/// Credentials for the receiver, as given in a request. Stored encrypted; never returned. Tokens may be long (an OAuth
/// access token is often a few KB of JWT).
/// </summary>
/// <param name="Token">For <c>jira</c>: the Automation rule's secret, sent as <c>X-Automation-Webhook-Token</c>.</param>
/// <param name="Username">For <c>servicenow</c>: the user for basic authentication.</param>
/// <param name="Password">For <c>servicenow</c>: that user's password.</param>
/// <param name="BearerToken">For <c>servicenow</c> or <c>standard</c>: a token sent as <c>Authorization: Bearer</c>.</param>
public sealed record WebhookAuth(
    [property: MaxLength(WebhookAuth.MaxTokenLength)] string? Token = null,
    string? Username = null,
    string? Password = null,
    [property: MaxLength(WebhookAuth.MaxTokenLength)] string? BearerToken = null)
{
    public const int MaxTokenLength = 16384;

    public WebhookAuthSummary Summary() =>
        Token is not null ? new("token", null)
        : BearerToken is not null ? new("bearer", null)
        : new("basic", Username);
}

/// <summary>The kind of credentials a webhook has (<c>token</c>, <c>basic</c> or <c>bearer</c>), with the user name for basic.</summary>
/// <param name="Type"><c>token</c>, <c>basic</c> or <c>bearer</c>.</param>
/// <param name="Username">The user name, for <c>basic</c>; null otherwise.</param>
public sealed record WebhookAuthSummary(string Type, string? Username);
