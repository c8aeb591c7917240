namespace QuayGateway.Hosting;

/// <summary>Stable RFC 9457 <c>type</c> URIs. Clients switch on these, never on titles or details.</summary>
public static class ProblemTypes
{
    private const string Base = "https://quaygateway.dev/problems/";

    public const string ValidationFailed = Base + "validation-failed";
    public const string MalformedRequest = Base + "malformed-request";
    public const string PayloadTooLarge = Base + "payload-too-large";
    public const string UnsupportedMediaType = Base + "unsupported-media-type";
    public const string UriTooLong = Base + "uri-too-long";
    public const string HeadersTooLarge = Base + "headers-too-large";
    public const string Unauthorized = Base + "unauthorized";
    public const string Forbidden = Base + "forbidden";
    public const string NamespaceNotAllowed = Base + "namespace-not-allowed";
    public const string ClusterNotAllowed = Base + "cluster-not-allowed";
    public const string TenantNotConfigured = Base + "tenant-not-configured";
    public const string QuotaExceeded = Base + "quota-exceeded";
    public const string TenantHasRegistries = Base + "tenant-has-registries";
    public const string NotFound = Base + "not-found";
    public const string MethodNotAllowed = Base + "method-not-allowed";
    public const string AlreadyExists = Base + "already-exists";
    public const string IdempotencyKeyReused = Base + "idempotency-key-reused";
    public const string PreconditionFailed = Base + "precondition-failed";
    public const string ChangeInProgress = Base + "change-in-progress";
    public const string InvalidState = Base + "invalid-state";
    public const string WebhookDestinationRefused = Base + "webhook-destination-refused";
    public const string WebhookDisabled = Base + "webhook-disabled";
    public const string RateLimited = Base + "rate-limited";
    public const string Internal = Base + "internal-error";
    public const string Unavailable = Base + "service-unavailable";
    public const string ClusterUnavailable = Base + "cluster-unavailable";
    public const string RegistryNotAvailable = Base + "registry-not-available";
    public const string QuayUserInitializeDisabled = Base + "quay-user-initialize-disabled";
    public const string QuayAlreadyInitialized = Base + "quay-already-initialized";
    public const string QuayInitializeUnconfirmed = Base + "quay-initialize-unconfirmed";
    public const string QuayTokenLost = Base + "quay-token-lost";
    public const string QuayTokenMissing = Base + "quay-token-missing";
    public const string QuayTokenExpired = Base + "quay-token-expired";
    public const string QuayCredentialsExpired = Base + "quay-credentials-expired";
    public const string QuayCredentialsInvalid = Base + "quay-credentials-invalid";
    public const string QuayRejected = Base + "quay-rejected";
    public const string QuayError = Base + "quay-error";
    public const string QuayUnreachable = Base + "quay-unreachable";
    public const string QuayTimeout = Base + "quay-timeout";
    public const string QuayDestinationRefused = Base + "quay-destination-refused";
    public const string QuayQuotaManagementDisabled = Base + "quay-quota-management-disabled";
    public const string QuayOrganizationExists = Base + "quay-organization-exists";

    /// <summary>The type for a bare status code the framework produced (routing, auth, body limits).</summary>
    public static string ForStatus(int status) => status switch
    {
        400 => MalformedRequest,
        401 => Unauthorized,
        403 => Forbidden,
        404 => NotFound,
        405 => MethodNotAllowed,
        409 => AlreadyExists,
        412 => PreconditionFailed,
        413 => PayloadTooLarge,
        414 => UriTooLong,
        415 => UnsupportedMediaType,
        429 => RateLimited,
        431 => HeadersTooLarge,
        503 => Unavailable,
        _ => status >= 500 ? Internal : Base + "http-" + status,
    };
}
