namespace QuayGateway.Registries.Model;

/// <summary>
/// What a timeline entry records: the one list of every type the gateway writes. The names are the wire values
/// (<c>"type": "Drift"</c>, the SSE <c>event:</c> name and the <c>?type=</c> filter) and the stored column's, so a name
/// never changes; a new kind of entry is a new member.
/// </summary>
public enum TimelineEntryType
{
    /// <summary>The registry moved to another state (<see cref="RegistryTransitions.MoveTo"/>).</summary>
    StateChanged,

    /// <summary>A condition of the QuayRegistry changed.</summary>
    ConditionChanged,

    /// <summary>The QuayRegistry disappeared or was edited out of band; the gateway re-applies it.</summary>
    Drift,

    /// <summary>The registry's endpoint is not one the gateway may call.</summary>
    EndpointRefused,

    /// <summary>A pod of the registry restarted.</summary>
    PodRestarted,

    /// <summary>A pod of the registry fails.</summary>
    PodFailing,

    /// <summary>A job of the registry (a migration, for example) failed.</summary>
    JobFailed,

    /// <summary>The gateway deleted the namespace it created for the registry.</summary>
    Deprovisioned,

    /// <summary>Quay's first user was created and its token stored.</summary>
    QuayUserInitialized,

    /// <summary>Quay's first-user call got no answer; whether it took effect is unknown.</summary>
    QuayInitializeUnconfirmed,

    /// <summary>Quay's first user exists, but the answer that carried its token was lost.</summary>
    QuayTokenLost,

    /// <summary>The gateway minted a durable token for Quay's first user.</summary>
    QuayDurableTokenMinted,

    /// <summary>Minting the durable token failed; the short-lived one stays.</summary>
    QuayDurableTokenFailed,

    /// <summary>The gateway minted a new token after Quay refused the stored one.</summary>
    QuayCredentialsRenewed,

    /// <summary>Quay refused the stored credentials and they could not be renewed.</summary>
    QuayCredentialsFailed,

    /// <summary>An operator replaced the stored credentials (<c>PUT /quay/credentials</c>).</summary>
    QuayCredentialsReplaced,

    /// <summary>The gateway created a Quay organization.</summary>
    QuayOrganizationCreated,

    /// <summary>The gateway created a Quay robot.</summary>
    QuayRobotCreated,

    /// <summary>A Quay robot the gateway was asked for existed already; the gateway uses it.</summary>
    QuayRobotFound,

    /// <summary>The gateway deleted a Quay robot.</summary>
    QuayRobotDeleted,

    /// <summary>The gateway regenerated a Quay robot's token.</summary>
    QuayRobotTokenRegenerated,

    /// <summary>The gateway created or changed a Quay team.</summary>
    QuayTeamUpdated,

    /// <summary>The gateway set a Quay organization's storage quota.</summary>
    QuayQuotaSet,

    /// <summary>The gateway wrote robot pull secrets into namespaces.</summary>
    QuayPullSecretsWritten,

    /// <summary>The gateway removed robot pull secrets from namespaces.</summary>
    QuayPullSecretsRemoved,

    /// <summary>A robot's pull secret is not written: the tenant's policy no longer allows its namespace.</summary>
    QuayPullSecretRefused,
}
