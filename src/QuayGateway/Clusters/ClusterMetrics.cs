using System.Diagnostics.Metrics;
using QuayGateway.Hosting;

namespace QuayGateway.Clusters;

/// <summary>Kubernetes API requests by verb and status code (<c>quaygateway.kubernetes.requests</c>).</summary>
public sealed class ClusterMetrics(IMeterFactory meters)
{
    private readonly Counter<long> _calls = meters.Create(TelemetrySetup.MeterName).CreateCounter<long>(
        "quaygateway.kubernetes.requests", "{request}", "Kubernetes API requests by verb and HTTP status code.");

    /// <summary>One request: <paramref name="verb"/> as in RBAC (get, list, watch, create, patch, delete…), <paramref name="code"/> the HTTP status (0 when no answer came).</summary>
    public void CountKubernetesCall(string verb, int code) => _calls.Add(1, new("verb", verb), new("code", code));
}
