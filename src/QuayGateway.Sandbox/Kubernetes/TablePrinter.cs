using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// Server-side printing: answers <c>Accept: application/json;as=Table;v=v1;g=meta.k8s.io</c> with the columns a
/// real apiserver prints for each kind (the ones kubectl shows), and the CRD's printer columns for QuayRegistry.
/// </summary>
internal sealed class TablePrinter(TimeProvider time)
{
    private sealed record Column(string Name, string Type, int Priority = 0, string Format = "", string Description = "");

    private static readonly Column NameColumn = new("Name", "string", 0, "name", "Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names");
    private static readonly Column AgeColumn = new("Age", "string", 0, "", "CreationTimestamp is a timestamp representing the server time when this object was created.");

    public static bool Wants(HttpRequest request) =>
        request.Headers.Accept.Any(a => a is not null && a.Contains("as=Table", StringComparison.Ordinal));

    public JsonObject Table(ResourceType type, IEnumerable<JsonObject> objects, string? includeObject, string resourceVersion, string? continueToken = null)
    {
        var columns = Columns(type);
        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = new JsonObject { ["resourceVersion"] = resourceVersion },
            ["columnDefinitions"] = new JsonArray(columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            }).ToArray()),
            ["rows"] = new JsonArray(objects.Select(o => (JsonNode)Row(type, o, includeObject)).ToArray()),
        };
        if (continueToken is not null) table["metadata"]!["continue"] = continueToken;
        return table;
    }

    private JsonObject Row(ResourceType type, JsonObject obj, string? includeObject)
    {
        var row = new JsonObject { ["cells"] = new JsonArray(Cells(type, obj).ToArray()) };
        row["object"] = includeObject switch
        {
            "None" => null,
            "Object" => obj.DeepClone(),
            _ => new JsonObject
            {
                ["kind"] = "PartialObjectMetadata",
                ["apiVersion"] = "meta.k8s.io/v1",
                ["metadata"] = obj["metadata"]?.DeepClone(),
            },
        };
        return row;
    }

    private static List<Column> Columns(ResourceType type)
    {
        if (type == ResourceTypes.Pods)
            return [NameColumn, new("Ready", "string"), new("Status", "string"), new("Restarts", "string"), AgeColumn,
                new("IP", "string", 1), new("Node", "string", 1), new("Nominated Node", "string", 1), new("Readiness Gates", "string", 1)];
        if (type == ResourceTypes.Deployments)
            return [NameColumn, new("Ready", "string"), new("Up-to-date", "integer"), new("Available", "integer"), AgeColumn,
                new("Containers", "string", 1), new("Images", "string", 1), new("Selector", "string", 1)];
        if (type == ResourceTypes.Jobs)
            return [NameColumn, new("Status", "string"), new("Completions", "string"), new("Duration", "string"), AgeColumn,
                new("Containers", "string", 1), new("Images", "string", 1), new("Selector", "string", 1)];
        if (type == ResourceTypes.HorizontalPodAutoscalers)
            return [NameColumn, new("Reference", "string"), new("Targets", "string"), new("MinPods", "string"), new("MaxPods", "integer"), new("Replicas", "integer"), AgeColumn];
        if (type == ResourceTypes.Namespaces) return [NameColumn, new("Status", "string"), AgeColumn];
        if (type == ResourceTypes.Secrets) return [NameColumn, new("Type", "string"), new("Data", "string"), AgeColumn];
        if (type == ResourceTypes.Events)
            return [new("Last Seen", "string"), new("Type", "string"), new("Reason", "string"), new("Object", "string"), new("Message", "string")];
        // A CRD with printer columns prints the name and exactly those columns.
        return [NameColumn, .. QuayRegistryCrd.Instance.PrinterColumns.Select(c => new Column(c.Name, c.Type, c.Priority, "", c.Description))];
    }

    private IEnumerable<JsonNode?> Cells(ResourceType type, JsonObject o)
    {
        var name = JsonValue.Create(o.Name());
        var age = JsonValue.Create(Age(o["metadata"]?["creationTimestamp"].Str()));
        if (type == ResourceTypes.Pods) return [name, .. PodCells(o, age)];
        if (type == ResourceTypes.Deployments)
        {
            var (containers, images) = Containers(o["spec"]?["template"]?["spec"]);
            return [name, $"{Int(o["status"]?["readyReplicas"])}/{o["spec"]?["replicas"].Long() ?? 1}", Int(o["status"]?["updatedReplicas"]),
                Int(o["status"]?["availableReplicas"]), age, containers, images, Selector(o)];
        }
        if (type == ResourceTypes.Jobs)
        {
            var (containers, images) = Containers(o["spec"]?["template"]?["spec"]);
            return [name, JobStatus(o), Completions(o), JobDuration(o), age, containers, images, Selector(o)];
        }
        if (type == ResourceTypes.HorizontalPodAutoscalers)
        {
            var target = o["spec"]?["scaleTargetRef"];
            var min = o["spec"]?["minReplicas"].Long();
            return [name, $"{target?["kind"].Str()}/{target?["name"].Str()}", HpaTargets(o), min is null ? "<unset>" : min.ToString(),
                Int(o["spec"]?["maxReplicas"]), Int(o["status"]?["currentReplicas"]), age];
        }
        if (type == ResourceTypes.Namespaces) return [name, o["status"]?["phase"].Str() ?? "", age];
        if (type == ResourceTypes.Secrets)
            return [name, o["type"].Str() ?? "Opaque", ((o["data"] as JsonObject)?.Count ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture), age];
        if (type == ResourceTypes.Events)
        {
            var involved = o["involvedObject"];
            var seen = o["lastTimestamp"].Str() ?? o["eventTime"].Str() ?? o["metadata"]?["creationTimestamp"].Str();
            return [Age(seen), o["type"].Str() ?? "", o["reason"].Str() ?? "",
                $"{involved?["kind"].Str()?.ToLowerInvariant()}/{involved?["name"].Str()}", o["message"].Str() ?? ""];
        }
        return [name, .. QuayRegistryCrd.Instance.PrinterColumns.Select(c => CustomCell(o, c))];
    }

    private JsonNode? CustomCell(JsonObject o, PrinterColumn column)
    {
        if (SimpleJsonPath.Evaluate(o, column.JsonPath) is not [var value, ..]) return null;
        if (column.Type == "date") return Age(value.Str());
        return value.DeepClone();
    }

    /// <summary>kubectl's printPod: READY, STATUS from container states, RESTARTS with "(5m ago)", AGE, and the wide columns.</summary>
    private IEnumerable<JsonNode?> PodCells(JsonObject pod, JsonNode? age)
    {
        var status = pod["status"] as JsonObject;
        var total = (pod["spec"]?["containers"] as JsonArray)?.Count ?? 0;
        var reason = status?["reason"].Str() ?? status?["phase"].Str() ?? "Pending";
        long restarts = 0;
        var ready = 0;
        DateTimeOffset? lastRestart = null;
        void CountRestarts(JsonNode? c)
        {
            restarts += c?["restartCount"].Long() ?? 0;
            if (ObjectMeta.ParseTimestamp(c?["lastState"]?["terminated"]?["finishedAt"].Str()) is { } finished && (lastRestart is null || finished > lastRestart))
                lastRestart = finished;
        }

        var initializing = false;
        var inits = (status?["initContainerStatuses"] as JsonArray ?? []).ToList();
        for (var i = 0; i < inits.Count; i++)
        {
            var c = inits[i];
            CountRestarts(c);
            var terminated = c?["state"]?["terminated"];
            var waiting = c?["state"]?["waiting"];
            if (terminated?["exitCode"].Long() == 0) continue;
            initializing = true;
            reason = terminated is not null ? "Init:" + (terminated["reason"].Str() ?? $"ExitCode:{terminated["exitCode"].Long()}")
                : waiting?["reason"].Str() is { Length: > 0 } w && w != "PodInitializing" ? "Init:" + w
                : $"Init:{i}/{(pod["spec"]?["initContainers"] as JsonArray)?.Count ?? inits.Count}";
            break;
        }
        if (!initializing)
        {
            var hasRunning = false;
            foreach (var c in (status?["containerStatuses"] as JsonArray ?? []).ToArray().Reverse())
            {
                CountRestarts(c);
                var state = c?["state"];
                if (state?["waiting"]?["reason"].Str() is { Length: > 0 } waiting) reason = waiting;
                else if (state?["terminated"]?["reason"].Str() is { Length: > 0 } terminated) reason = terminated;
                else if (state?["terminated"] is { } t) reason = t["signal"].Long() is { } sig and not 0 ? $"Signal:{sig}" : $"ExitCode:{t["exitCode"].Long() ?? 0}";
                else if (state?["running"] is not null && c?["ready"].Bool() == true)
                {
                    hasRunning = true;
                    ready++;
                }
            }
            if (reason == "Completed" && hasRunning) reason = "Running";
        }
        if (pod.IsDeleting()) reason = "Terminating";

        JsonNode restartCell = lastRestart is { } at
            ? JsonValue.Create($"{restarts} ({HumanDuration.Format(time.GetUtcNow() - at)} ago)")
            : JsonValue.Create(restarts);
        return [$"{ready}/{total}", reason, restartCell, age,
            status?["podIP"].Str() ?? "<none>", pod["spec"]?["nodeName"].Str() ?? "<none>", "<none>", "<none>"];
    }

    private static string JobStatus(JsonObject job)
    {
        bool Has(string type) => (job["status"]?["conditions"] as JsonArray ?? []).Any(c => c?["type"].Str() == type && c["status"].Str() == "True");
        if (Has("Complete")) return "Complete";
        if (Has("Failed")) return "Failed";
        if (job.IsDeleting()) return "Terminating";
        if (Has("Suspended")) return "Suspended";
        if (Has("FailureTarget")) return "FailureTarget";
        if (Has("SuccessCriteriaMet")) return "SuccessCriteriaMet";
        return "Running";
    }

    private static string Completions(JsonObject job)
    {
        var succeeded = job["status"]?["succeeded"].Long() ?? 0;
        if (job["spec"]?["completions"].Long() is { } completions) return $"{succeeded}/{completions}";
        var parallelism = job["spec"]?["parallelism"].Long() ?? 0;
        return parallelism > 1 ? $"{succeeded}/1 of {parallelism}" : $"{succeeded}/1";
    }

    private string JobDuration(JsonObject job)
    {
        var start = ObjectMeta.ParseTimestamp(job["status"]?["startTime"].Str());
        if (start is null) return "";
        var end = ObjectMeta.ParseTimestamp(job["status"]?["completionTime"].Str()) ?? time.GetUtcNow();
        return HumanDuration.Format(end - start.Value);
    }

    /// <summary>kubectl's formatHPAMetrics for resource metrics: <c>cpu: 16%/90%, memory: 0%/90%</c>.</summary>
    private static string HpaTargets(JsonObject hpa)
    {
        var specs = (hpa["spec"]?["metrics"] as JsonArray ?? []).ToList();
        if (specs.Count == 0) return "<none>";
        var statuses = (hpa["status"]?["currentMetrics"] as JsonArray ?? []).ToList();
        var list = new List<string>();
        for (var i = 0; i < specs.Count; i++)
        {
            var resource = specs[i]?["resource"];
            if (resource is null) continue;
            var current = i < statuses.Count && statuses[i]?["resource"]?["current"]?["averageUtilization"].Long() is { } u ? $"{u}%" : "<unknown>";
            var target = resource["target"]?["averageUtilization"].Long() is { } t ? $"{t}%" : "<auto>";
            list.Add($"{resource["name"].Str()}: {current}/{target}");
        }
        return list.Count > 2 ? $"{string.Join(", ", list.Take(2))} + {list.Count - 2} more..." : string.Join(", ", list);
    }

    private static (string Containers, string Images) Containers(JsonNode? podSpec)
    {
        var containers = (podSpec?["containers"] as JsonArray ?? []).ToList();
        return (string.Join(",", containers.Select(c => c?["name"].Str())), string.Join(",", containers.Select(c => c?["image"].Str())));
    }

    private static string Selector(JsonObject o) =>
        o["spec"]?["selector"]?["matchLabels"] is JsonObject labels && labels.Count > 0
            ? string.Join(",", labels.Select(l => $"{l.Key}={l.Value.Str()}"))
            : "<none>";

    private static long Int(JsonNode? node) => node.Long() ?? 0;

    private string Age(string? timestamp) =>
        ObjectMeta.ParseTimestamp(timestamp) is { } t ? HumanDuration.Format(time.GetUtcNow() - t) : "<unknown>";
}
