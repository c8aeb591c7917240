namespace QuayGateway.Webhooks.Model;

/// <summary>The event types a subscription can filter on.</summary>
public static class WebhookEventTypes
{
    public const string RegistryAccepted = "registry.accepted";
    public const string RegistryApplied = "registry.applied";
    public const string RegistryProgressing = "registry.progressing";
    public const string RegistryAvailable = "registry.available";
    public const string RegistryBlocked = "registry.blocked";
    public const string RegistryDegraded = "registry.degraded";
    public const string RegistryFailed = "registry.failed";
    public const string RegistryDeleted = "registry.deleted";
    public const string RegistryReady = "registry.ready";
    public const string QuayUserInitialized = "quay.user_initialized";
    public const string QuayOrganizationCreated = "quay.organization_created";
    public const string QuayCredentialsRenewed = "quay.credentials_renewed";
    public const string QuayCredentialsFailed = "quay.credentials_failed";
    public const string QuayRobotCreated = "quay.robot_created";
    public const string QuayTeamUpdated = "quay.team_updated";
    public const string QuayQuotaSet = "quay.quota_set";

    /// <summary>A robot's pull secret is no longer written: the tenant's policy stopped allowing its namespace.</summary>
    public const string QuayPullSecretRefused = "quay.pull_secret_refused";

    /// <summary>Sent by <c>POST /v1/webhooks/{id}/ping</c> only; not something to subscribe to.</summary>
    public const string Ping = "webhook.ping";

    public static readonly IReadOnlyList<string> All =
    [
        RegistryAccepted, RegistryApplied, RegistryProgressing, RegistryAvailable, RegistryBlocked, RegistryDegraded,
        RegistryFailed, RegistryDeleted, RegistryReady, QuayUserInitialized, QuayOrganizationCreated,
        QuayCredentialsRenewed, QuayCredentialsFailed,
        QuayRobotCreated, QuayTeamUpdated, QuayQuotaSet, QuayPullSecretRefused,
    ];
}
