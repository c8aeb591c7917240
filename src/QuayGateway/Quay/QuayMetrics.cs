using System.Diagnostics.Metrics;
using QuayGateway.Hosting;

namespace QuayGateway.Quay;

/// <summary>
/// Quay API calls by cluster and outcome (<c>quaygateway.quay.requests</c>): <c>success</c> (2xx), <c>token_rejected</c>
/// (Quay did not accept the stored token: 401, or the CSRF 403 it gives a token it treats as anonymous),
/// <c>refused</c> (another 4xx), <c>failed</c> (5xx), <c>no_answer</c> (timeout, unreachable, destination refused).
/// </summary>
public sealed class QuayMetrics(IMeterFactory meters)
{
    private readonly Counter<long> _requests = meters.Create(TelemetrySetup.MeterName).CreateCounter<long>(
        "quaygateway.quay.requests", "{request}", "Quay API calls by cluster and outcome (success, token_rejected, refused, failed, no_answer).");

    public void Count(string cluster, QuayAnswer? answer) => _requests.Add(1, new("cluster", cluster), new("outcome", answer switch
    {
        null => "no_answer",
        { TokenRejected: true } => "token_rejected",
        { Status: >= 200 and < 300 } => "success",
        { Status: >= 400 and < 500 } => "refused",
        _ => "failed",
    }));
}
