using System.Net;
using k8s.Autorest;

namespace QuayGateway.Clusters;

/// <summary>A failed call to a cluster, classified once so callers decide between retry and giving up.</summary>
public sealed class ClusterCallException(string message, HttpStatusCode? status, string? reason, bool transient, Exception inner)
    : Exception(message, inner)
{
    public HttpStatusCode? Status { get; } = status;

    /// <summary>The API server's Status reason (Forbidden, Invalid, NotFound...), or the transport failure.</summary>
    public string Reason { get; } = reason ?? "Unreachable";

    /// <summary>5xx, 429, timeouts, conflicts and transport errors heal by themselves; 4xx like 403 or 422 do not.</summary>
    public bool Transient { get; } = transient;

    public static ClusterCallException From(Exception e)
    {
        if (e is HttpOperationException http)
        {
            var status = http.Response.StatusCode;
            var (reason, message) = StatusOf(http);
            var transient = (int)status >= 500 || status is HttpStatusCode.TooManyRequests or HttpStatusCode.Conflict or HttpStatusCode.RequestTimeout;
            return new ClusterCallException(message ?? http.Message, status, reason ?? status.ToString(), transient, e);
        }

        return new ClusterCallException(e.Message, null, null, transient: true, e);
    }

    private static (string? Reason, string? Message) StatusOf(HttpOperationException http)
    {
        try
        {
            var status = System.Text.Json.Nodes.JsonNode.Parse(http.Response.Content ?? "");
            return ((string?)status?["reason"], (string?)status?["message"]);
        }
        catch (System.Text.Json.JsonException)
        {
            return (null, null);
        }
    }
}
