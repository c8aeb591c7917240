using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>An entry of <c>details.causes</c> in a Status, e.g. <c>FieldValueNotSupported</c> on <c>spec.components[0].kind</c>.</summary>
public sealed record StatusCause(string Reason, string Message, string Field);

/// <summary>The <c>details</c> of a Status: which object the failure is about and, for Invalid, why.</summary>
public sealed record StatusDetails(
    string? Name = null,
    string? Group = null,
    string? Kind = null,
    IReadOnlyList<StatusCause>? Causes = null,
    int? RetryAfterSeconds = null);

/// <summary>A failure the API answers with a <c>kind: Status</c> body, exactly as a real apiserver words it.</summary>
public sealed class KubernetesStatusException(int code, string reason, string message, StatusDetails? details = null)
    : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public StatusDetails? Details { get; } = details;

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Failure",
            ["message"] = Message,
            ["reason"] = Reason,
        };
        if (Details is { } d)
        {
            var details = new JsonObject();
            if (d.Name is not null) details["name"] = d.Name;
            if (d.Group is not null) details["group"] = d.Group;
            if (d.Kind is not null) details["kind"] = d.Kind;
            if (d.Causes is { Count: > 0 })
            {
                details["causes"] = new JsonArray(d.Causes.Select(c => (JsonNode)new JsonObject
                {
                    ["reason"] = c.Reason,
                    ["message"] = c.Message,
                    ["field"] = c.Field,
                }).ToArray());
            }
            if (d.RetryAfterSeconds is { } retry) details["retryAfterSeconds"] = retry;
            status["details"] = details;
        }
        status["code"] = Code;
        return status;
    }

    private static StatusDetails About(ResourceType type, string name) => new(name, type.Group, type.Plural);

    public static KubernetesStatusException NotFound(ResourceType type, string name) =>
        new(404, "NotFound", $"{type.QualifiedName} \"{name}\" not found", About(type, name));

    public static KubernetesStatusException NotFound(string message) => new(404, "NotFound", message, new StatusDetails());

    public static KubernetesStatusException AlreadyExists(ResourceType type, string name) =>
        new(409, "AlreadyExists", $"{type.QualifiedName} \"{name}\" already exists", About(type, name));

    public static KubernetesStatusException Conflict(ResourceType type, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {type.QualifiedName} \"{name}\": {why}", About(type, name));

    public static KubernetesStatusException StaleResourceVersion(ResourceType type, string name) =>
        Conflict(type, name, "the object has been modified; please apply your changes to the latest version and try again");

    public static KubernetesStatusException Invalid(ResourceType type, string name, IReadOnlyList<(string Reason, string Field, string Detail)> errors)
    {
        // Real format: `Kind.group "name" is invalid: field: Detail` and, for several errors, `[a, b]`.
        var parts = errors.Select(e => $"{e.Field}: {e.Detail}").ToList();
        var joined = parts.Count == 1 ? parts[0] : $"[{string.Join(", ", parts)}]";
        return new(422, "Invalid", $"{type.QualifiedKind} \"{name}\" is invalid: {joined}",
            new StatusDetails(name, type.Group, type.Kind, errors.Select(e => new StatusCause(e.Reason, e.Detail, e.Field)).ToList()));
    }

    public static KubernetesStatusException Gone(string message) => new(410, "Expired", message, new StatusDetails());

    public static KubernetesStatusException BadRequest(string message) => new(400, "BadRequest", message, new StatusDetails());

    public static KubernetesStatusException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message, new StatusDetails());

    public static KubernetesStatusException Forbidden(ResourceType type, string name, string why) =>
        new(403, "Forbidden", $"{type.QualifiedName} \"{name}\" is forbidden: {why}", About(type, name));
}
