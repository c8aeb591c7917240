using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>The three ways Quay writes a response body, each with its own content type and JSON layout.</summary>
internal static class QuayResponses
{
    /// <summary>An API resource result (flask-restful).</summary>
    public static Task Restful(HttpContext context, int status, JsonNode? body) =>
        Write(context, status, "application/json", PythonJson.Restful(body));

    /// <summary>A Flask <c>jsonify</c> result (web routes such as user/initialize and the health checks).</summary>
    public static Task Jsonify(HttpContext context, int status, JsonNode body) =>
        Write(context, status, "application/json", PythonJson.Jsonify(body));

    /// <summary><c>util.http.abort</c>: JSON text served as HTML, as Quay really does.</summary>
    public static Task Abort(HttpContext context, int status, string message) =>
        Write(context, status, "text/html; charset=utf-8",
            PythonJson.Dumps(new JsonObject { ["error"] = message }, sortKeys: false, compact: false));

    /// <summary>An <c>ApiException</c>: detail, error_message, error_type, title, type (an absolute URL), status.</summary>
    public static Task ApiError(HttpContext context, int status, string errorType, string detail, JsonObject? payload = null)
    {
        // ApiException.to_dict: the payload's keys first, then Quay's own.
        var body = payload ?? [];
        body["detail"] = detail;
        body["error_message"] = detail;
        body["error_type"] = errorType;
        body["title"] = errorType;
        body["type"] = $"{ExternalBase(context.Request)}/api/v1/error/{errorType}";
        body["status"] = status;
        return Restful(context, status, body);
    }

    /// <summary>
    /// What Flask's <c>url_for(_external=True)</c> yields: the scheme and host the client used.
    /// </summary>
    private static string ExternalBase(HttpRequest request)
    {
        return $"{request.Scheme}://{request.Host.Value}";
    }

    private static Task Write(HttpContext context, int status, string contentType, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        return context.Response.WriteAsync(body, context.RequestAborted);
    }
}
