namespace QuayGateway.Audit;

/// <summary>
/// One write to the API, or one refusal of it: who, for which tenant, which operation on what, and how it ended.
/// Holds no request body, header or secret. A summary of rate-limited requests (status 429) is one entry per actor and
/// minute: <see cref="At"/> is the minute's start and <see cref="Count"/> the number of requests.
/// </summary>
public sealed class AuditEntry
{
    public Guid Id { get; init; }
    public DateTimeOffset At { get; init; }

    /// <summary>The API key id or the token's subject; <c>anonymous</c> when no caller was authenticated.</summary>
    public required string Actor { get; init; }

    /// <summary>The caller's tenant; null when no caller was authenticated.</summary>
    public string? Tenant { get; init; }

    /// <summary>The endpoint's operation id (its name in the OpenAPI document).</summary>
    public required string Action { get; init; }

    /// <summary>The resource: the created one's path (Location) or the request path.</summary>
    public required string Target { get; init; }

    /// <summary>One of <see cref="AuditOutcomes"/>.</summary>
    public required string Outcome { get; init; }

    public int Status { get; init; }
    public required string RequestId { get; init; }

    /// <summary>1, or for a rate-limit summary the requests refused in its minute.</summary>
    public int Count { get; init; } = 1;
}

public static class AuditOutcomes
{
    public const string Succeeded = "succeeded";
    public const string Refused = "refused";
    public const string RateLimited = "rate-limited";
    public const string Failed = "failed";

    public static readonly IReadOnlyList<string> All = [Succeeded, Refused, RateLimited, Failed];

    public static string For(int status) => status switch
    {
        < 400 => Succeeded,
        StatusCodes.Status401Unauthorized or StatusCodes.Status403Forbidden => Refused,
        StatusCodes.Status429TooManyRequests => RateLimited,
        _ => Failed,
    };
}
