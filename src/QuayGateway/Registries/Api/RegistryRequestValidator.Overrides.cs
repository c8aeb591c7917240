using System.Text.Json;

namespace QuayGateway.Registries.Api;

/// <summary>
/// The shape of each override, as the CRD documents it, and what no override may ask for whatever its shape: a
/// privileged container, added capabilities, privilege escalation, or a host path. The operator passes overrides onto
/// the workloads it makes, so a request must not be able to reach the node through them.
/// </summary>
public static partial class RegistryRequestValidator
{
    private static readonly IReadOnlySet<string> EnvVarFields = new HashSet<string>(StringComparer.Ordinal) { "name", "value", "valueFrom" };
    private static readonly IReadOnlySet<string> ResourcesFields = new HashSet<string>(StringComparer.Ordinal) { "limits", "requests" };
    private static readonly IReadOnlySet<string> AffinityFields = new HashSet<string>(StringComparer.Ordinal) { "nodeAffinity", "podAffinity", "podAntiAffinity" };

    /// <summary>The CRD's <c>overrides.securityContext</c> fields; the dangerous ones are checked by value below.</summary>
    private static readonly IReadOnlySet<string> SecurityContextFields = new HashSet<string>(StringComparer.Ordinal)
    {
        "allowPrivilegeEscalation", "capabilities", "privileged", "procMount", "readOnlyRootFilesystem", "runAsGroup", "runAsNonRoot",
        "runAsUser", "seLinuxOptions", "seccompProfile", "windowsOptions",
    };

    private static void CheckOverride(ValidationErrors errors, string field, string key, JsonElement value)
    {
        switch (key)
        {
            case "env":
                if (value.ValueKind != JsonValueKind.Array)
                {
                    errors.Add(field, "env must be a list of {name, value} or {name, valueFrom}.");
                    break;
                }

                var i = 0;
                foreach (var item in value.EnumerateArray())
                {
                    var at = $"{field}[{i++}]";
                    if (item.ValueKind != JsonValueKind.Object || !item.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                    {
                        errors.Add(at, "An env entry is an object with a string 'name'.");
                        continue;
                    }

                    CheckFields(errors, at, item, EnvVarFields);
                }

                break;
            case "resources":
                CheckObject(errors, field, value, ResourcesFields);
                break;
            case "affinity":
                CheckObject(errors, field, value, AffinityFields);
                break;
            case "securityContext":
                CheckObject(errors, field, value, SecurityContextFields);
                break;
            case "labels" or "annotations":
                if (value.ValueKind != JsonValueKind.Object || value.EnumerateObject().Any(p => p.Value.ValueKind != JsonValueKind.String))
                {
                    errors.Add(field, $"{key} must be an object of string values.");
                }

                break;
            case "storageClassName" when value.ValueKind != JsonValueKind.String:
                errors.Add(field, "storageClassName must be a string.");
                break;
            case "volumeSize" when value.ValueKind is not (JsonValueKind.String or JsonValueKind.Number):
                errors.Add(field, "volumeSize must be a quantity such as \"50Gi\".");
                break;
        }
    }

    private static void CheckObject(ValidationErrors errors, string field, JsonElement value, IReadOnlySet<string> allowed)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(field, $"Must be an object with any of: {string.Join(", ", allowed)}.");
            return;
        }

        CheckFields(errors, field, value, allowed);
    }

    private static void CheckFields(ValidationErrors errors, string field, JsonElement value, IReadOnlySet<string> allowed)
    {
        foreach (var property in value.EnumerateObject().Where(p => !allowed.Contains(p.Name)))
        {
            errors.Add($"{field}.{property.Name}", $"Unknown field '{property.Name}'. Allowed: {string.Join(", ", allowed)}.");
        }
    }

    /// <summary>Anywhere in the overrides, known field or not: what would give a workload the node.</summary>
    private static void CheckGrantsNothing(ValidationErrors errors, string field, IReadOnlyDictionary<string, JsonElement> overrides)
    {
        foreach (var (key, value) in overrides)
        {
            CheckGrantsNothing(errors, $"{field}.{key}", key, value, depth: 0);
        }
    }

    private static void CheckGrantsNothing(ValidationErrors errors, string at, string name, JsonElement value, int depth)
    {
        switch (name)
        {
            case "privileged" when value.ValueKind != JsonValueKind.False:
                errors.Add(at, "A privileged container is refused.");
                return;
            case "allowPrivilegeEscalation" when value.ValueKind != JsonValueKind.False:
                errors.Add(at, "Privilege escalation is refused; only false may be set.");
                return;
            case "capabilities" when value.ValueKind == JsonValueKind.Object && value.TryGetProperty("add", out _):
                errors.Add($"{at}.add", "Added capabilities are refused; capabilities may only be dropped.");
                return;
            case "hostPath" or "hostNetwork" or "hostPID" or "hostIPC":
                errors.Add(at, $"{name} is refused: a workload must not reach the node.");
                return;
        }

        if (depth > 32)
        {
            return; // the request's own depth limit bounds this; nothing the CRD allows nests deeper
        }

        if (value.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in value.EnumerateObject())
            {
                CheckGrantsNothing(errors, $"{at}.{property.Name}", property.Name, property.Value, depth + 1);
            }
        }
        else if (value.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in value.EnumerateArray())
            {
                CheckGrantsNothing(errors, $"{at}[{i++}]", "", item, depth + 1);
            }
        }
    }
}
