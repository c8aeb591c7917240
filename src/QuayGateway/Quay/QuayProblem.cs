using Microsoft.AspNetCore.Http.HttpResults;
using QuayGateway.Hosting;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>
/// Why a Quay step did not happen, once for both audiences: an RFC 9457 problem for the API, and a condition reason
/// and message for the declarative bootstrap. Problems about Quay's own answers name Quay's status and message.
/// </summary>
public sealed record QuayProblem(int Status, string Type, string Title, string Detail, string Reason, QuayAnswer? Quay = null)
{
    private const string TokenRemedy = CredentialsRemedy;

    public ProblemHttpResult ToResult() =>
        TypedResults.Problem(Detail, statusCode: Status, title: Title, type: Type,
            extensions: Quay is null ? null : new Dictionary<string, object?> { ["quayStatus"] = Quay.Status, ["quayMessage"] = Quay.Message });

    public static QuayProblem NotAvailable(Registry registry) => new(409, ProblemTypes.RegistryNotAvailable, "Registry not available",
        $"The registry is {registry.State}; Quay can be called once it is Available.", "RegistryNotAvailable");

    public const string InFlightReason = "QuayInitializeInFlight";

    public static QuayProblem InFlight() => new(409, ProblemTypes.ChangeInProgress, "Initialize in progress",
        "A user/initialize call for this registry is in flight; wait for its answer.", InFlightReason);

    public static QuayProblem Unconfirmed() => new(409, ProblemTypes.QuayInitializeUnconfirmed, "Initialize outcome unknown",
        "An earlier user/initialize call got no answer, so Quay may or may not have created the user. The gateway does not " +
        "repeat it by itself; POST /retry (or initialize again) to ask Quay.", "QuayInitializeUnconfirmed");

    public static QuayProblem AlreadyInitialized(string detail) =>
        new(409, ProblemTypes.QuayAlreadyInitialized, "Quay already initialized", detail, "QuayAlreadyInitialized");

    public static QuayProblem TokenLost(string username) => new(409, ProblemTypes.QuayTokenLost, "Initialized, token lost",
        $"Quay's first user ('{username}') was created by an earlier call whose answer was lost, so its token never reached " +
        "the gateway. Quay shows a token only once. " + TokenRemedy, "QuayTokenLost");

    public static QuayProblem TokenMissing() => new(409, ProblemTypes.QuayTokenMissing, "No Quay token stored",
        "The gateway has no token for this registry's Quay. POST /quay/initialize first (or request initialUser at create).",
        "QuayTokenMissing");

    public static QuayProblem TokenExpired(DateTimeOffset? expiredAt, QuayAnswer? answer = null) => new(409, ProblemTypes.QuayTokenExpired,
        "Quay token expired",
        (expiredAt is { } at ? $"The stored Quay token expired at {at:u}, and the gateway keeps no password to mint a new one. " : "Quay no longer accepts the stored token. ")
        + TokenRemedy, "QuayTokenExpired", answer);

    public const string CredentialsRemedy = "Supply working credentials with PUT /v1/registries/{id}/quay/credentials: {\"token\": \"…\"} " +
                                            "(Quay: Organization → Applications → Generate Token) or {\"username\", \"password\"} (the gateway mints a token).";

    /// <summary>Quay refuses the stored credentials and the gateway cannot mint new ones.</summary>
    public static QuayProblem CredentialsExpired(string why, QuayAnswer? answer = null) => new(409, ProblemTypes.QuayCredentialsExpired,
        "Quay credentials no longer work", $"{why}. {CredentialsRemedy}", "QuayCredentialsExpired", answer);

    /// <summary>Credentials supplied by an operator that Quay does not accept.</summary>
    public static QuayProblem CredentialsInvalid(string why, QuayAnswer? answer = null) => new(422, ProblemTypes.QuayCredentialsInvalid,
        "Quay does not accept these credentials", why, "QuayCredentialsInvalid", answer);

    public static QuayProblem UserInitializeDisabled(QuayAnswer answer) => new(409, ProblemTypes.QuayUserInitializeDisabled,
        "User initialization is disabled", "Quay answered 404 to user/initialize: set FEATURE_USER_INITIALIZE: true in the " +
        "registry's config bundle (config.yaml), PATCH the registry, then initialize again.", "QuayUserInitializeDisabled", answer);

    /// <summary>Quay answered, and not with success.</summary>
    public static QuayProblem FromAnswer(QuayAnswer answer, string action)
    {
        if (answer.TokenRejected)
        {
            return TokenExpired(null, answer);
        }

        // Quay's verdicts on the request (invalid, not found, insufficient_scope) pass through with their status;
        // anything else is Quay failing: 502.
        return answer.Status is 400 or 403 or 404 or 409
            ? new(answer.Status, ProblemTypes.QuayRejected, "Quay refused the request", $"Quay refused to {action}: {answer.Status} {answer.Message}",
                "QuayRejected", answer)
            : new(502, ProblemTypes.QuayError, "Quay failed", $"Quay could not {action}: {answer.Status} {answer.Message}", "QuayError", answer);
    }

    public const string DestinationRefusedReason = "QuayDestinationRefused";

    /// <summary>The registry's Quay is somewhere the gateway does not send credentials (its host, scheme or address).</summary>
    public static QuayProblem DestinationRefused(string detail) => new(502, ProblemTypes.QuayDestinationRefused,
        "Quay destination refused", detail, DestinationRefusedReason);

    /// <summary>Quay gave no answer.</summary>
    public static QuayProblem FromCallFailure(QuayCallException e, string? unknownOutcome = null)
    {
        if (e.Refused)
        {
            return DestinationRefused(e.Message);
        }

        var detail = unknownOutcome is null ? e.Message : $"{e.Message} {unknownOutcome}";
        return e.TimedOut
            ? new(504, ProblemTypes.QuayTimeout, "Quay timed out", detail, "QuayTimeout")
            : new(502, ProblemTypes.QuayUnreachable, "Quay unreachable", detail, "QuayUnreachable");
    }
}
