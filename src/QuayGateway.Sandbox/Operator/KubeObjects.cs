using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Operator;

/// <summary>
/// Builds the Kubernetes objects the operator owns, shaped like real ones so <c>kubectl get</c> shows the familiar
/// READY, STATUS and RESTARTS columns. Every object carries the <c>quay-operator/quayregistry</c> label and an
/// ownerReference to the QuayRegistry, so the store's garbage collector removes it with the registry.
/// </summary>
internal sealed class KubeObjects(string ns, string registry, string registryUid)
{
    public const string RegistryLabel = "quay-operator/quayregistry";
    public const string ComponentLabel = "quay-component";

    public string Prefix => registry + "-";

    public JsonObject Metadata(string name, IEnumerable<KeyValuePair<string, string>>? labels = null)
    {
        var allLabels = new JsonObject { [RegistryLabel] = registry };
        foreach (var (key, value) in labels ?? [])
        {
            allLabels[key] = value;
        }

        return new JsonObject
        {
            ["name"] = name,
            ["namespace"] = ns,
            ["labels"] = allLabels,
            ["ownerReferences"] = new JsonArray(new JsonObject
            {
                ["apiVersion"] = "quay.redhat.com/v1",
                ["kind"] = "QuayRegistry",
                ["name"] = registry,
                ["uid"] = registryUid,
                ["controller"] = true,
                ["blockOwnerDeletion"] = true,
            }),
        };
    }

    public JsonObject Secret(string name, JsonObject data) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Secret",
        ["metadata"] = Metadata(name),
        ["type"] = "Opaque",
        ["data"] = data,
    };

    public JsonObject Deployment(Workload workload, int replicas, string templateHash, int ready)
    {
        var name = Prefix + workload.Suffix;
        var available = ready >= replicas;
        var podLabels = new Dictionary<string, string> { [ComponentLabel] = workload.PodComponent };
        return new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = Metadata(name, podLabels),
            ["spec"] = new JsonObject
            {
                ["replicas"] = replicas,
                ["selector"] = new JsonObject { ["matchLabels"] = Labels(podLabels) },
                ["strategy"] = new JsonObject { ["type"] = "RollingUpdate" },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = Labels(podLabels) },
                    ["spec"] = PodSpec(workload.Suffix, workload.Image, "Always"),
                },
            },
            ["status"] = new JsonObject
            {
                ["observedGeneration"] = 1,
                ["replicas"] = replicas,
                ["updatedReplicas"] = replicas,
                ["readyReplicas"] = ready,
                ["availableReplicas"] = ready,
                ["unavailableReplicas"] = Math.Max(0, replicas - ready),
                ["conditions"] = new JsonArray(
                    DeploymentAvailable(name, available),
                    new JsonObject
                    {
                        ["type"] = "Progressing",
                        ["status"] = "True",
                        ["reason"] = available ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
                        ["message"] = available
                            ? $"ReplicaSet \"{name}-{templateHash}\" has successfully progressed."
                            : $"ReplicaSet \"{name}-{templateHash}\" is progressing.",
                    }),
            },
        };
    }

    /// <summary>The Deployment's Available condition; the 3.6 operator copies it into <c>unhealthyComponents</c>.</summary>
    public static JsonObject DeploymentAvailable(string deployment, bool available) => new()
    {
        ["type"] = "Available",
        ["status"] = available ? "True" : "False",
        ["reason"] = available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
        ["message"] = available
            ? "Deployment has minimum availability."
            : $"Deployment {deployment}: Deployment does not have minimum availability.",
    };

    public JsonObject Pod(SimulatedPod pod, string container, string image, IReadOnlyDictionary<string, string> labels, JobOutcome? job = null)
    {
        var (phase, ready, state, lastState) = PodState(pod, job);
        var created = GoTime.Rfc3339(pod.Created);
        return new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Pod",
            ["metadata"] = Metadata(pod.Name, labels),
            ["spec"] = PodSpec(container, image, job is null ? "Always" : "Never"),
            ["status"] = new JsonObject
            {
                ["phase"] = phase,
                ["conditions"] = new JsonArray(Condition("Ready", ready, created)),
                ["startTime"] = created,
                ["containerStatuses"] = new JsonArray(new JsonObject
                {
                    ["name"] = container,
                    ["image"] = image,
                    ["imageID"] = "",
                    ["ready"] = ready,
                    ["started"] = pod.Running && !pod.CrashLooping && job is null or JobOutcome.Running,
                    ["restartCount"] = pod.Restarts,
                    ["state"] = state,
                    ["lastState"] = lastState,
                }),
            },
        };
    }

    public JsonObject Job(string suffix, string image, JobOutcome outcome, DateTimeOffset started, DateTimeOffset? finished)
    {
        var labels = new Dictionary<string, string> { [ComponentLabel] = suffix };
        var status = new JsonObject { ["startTime"] = GoTime.Rfc3339(started) };
        switch (outcome)
        {
            case JobOutcome.Running:
                status["active"] = 1;
                break;
            case JobOutcome.Succeeded:
                status["succeeded"] = 1;
                status["completionTime"] = GoTime.Rfc3339(finished ?? started);
                status["conditions"] = new JsonArray(JobCondition("Complete", null, null, finished ?? started));
                break;
            case JobOutcome.Failed:
                status["failed"] = 1;
                status["conditions"] = new JsonArray(JobCondition("Failed", "BackoffLimitExceeded", MigrationFailure, finished ?? started));
                break;
        }

        return new JsonObject
        {
            ["apiVersion"] = "batch/v1",
            ["kind"] = "Job",
            ["metadata"] = Metadata(Prefix + suffix, labels),
            ["spec"] = new JsonObject
            {
                ["backoffLimit"] = 0,
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = Labels(labels) },
                    ["spec"] = PodSpec(suffix, image, "Never"),
                },
            },
            ["status"] = status,
        };
    }

    /// <summary>The Job Failed condition message, which the operator copies into MigrationsFailed.</summary>
    public const string MigrationFailure = "Job has reached the specified backoff limit";

    public JsonObject Hpa(Workload workload, int currentReplicas)
    {
        var name = Prefix + workload.Suffix;
        // Stable, plausible utilisation per HPA (the source document shows 16%/90%, 0%/90%).
        var seed = Math.Abs(name.GetHashCode(StringComparison.Ordinal));
        return new JsonObject
        {
            ["apiVersion"] = "autoscaling/v2",
            ["kind"] = "HorizontalPodAutoscaler",
            ["metadata"] = Metadata(name),
            ["spec"] = new JsonObject
            {
                ["scaleTargetRef"] = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = name },
                ["minReplicas"] = 2,
                ["maxReplicas"] = workload.HpaMax,
                ["metrics"] = new JsonArray(Metric("cpu", null), Metric("memory", null)),
            },
            ["status"] = new JsonObject
            {
                ["currentReplicas"] = currentReplicas,
                ["desiredReplicas"] = 2,
                ["currentMetrics"] = new JsonArray(Metric("cpu", 5 + seed % 30), Metric("memory", seed % 3)),
            },
        };
    }

    public JsonObject Event(JsonObject registryObject, string reason, string message, bool warning, DateTimeOffset now) => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "Event",
        ["metadata"] = new JsonObject
        {
            ["name"] = $"{registry}.{Convert.ToHexStringLower(BitConverter.GetBytes(now.UtcTicks ^ Random.Shared.NextInt64()))}",
            ["namespace"] = ns,
        },
        ["involvedObject"] = new JsonObject
        {
            ["apiVersion"] = "quay.redhat.com/v1",
            ["kind"] = "QuayRegistry",
            ["name"] = registry,
            ["namespace"] = ns,
            ["uid"] = registryUid,
            ["resourceVersion"] = registryObject["metadata"]?["resourceVersion"]?.DeepClone(),
        },
        ["reason"] = reason,
        ["message"] = message,
        ["type"] = warning ? "Warning" : "Normal",
        ["source"] = new JsonObject { ["component"] = "quayregistry-controller" },
        ["firstTimestamp"] = GoTime.Rfc3339(now),
        ["lastTimestamp"] = GoTime.Rfc3339(now),
        ["count"] = 1,
        ["reportingComponent"] = "quayregistry-controller",
        ["reportingInstance"] = "",
    };

    private static (string Phase, bool Ready, JsonObject State, JsonObject LastState) PodState(SimulatedPod pod, JobOutcome? job)
    {
        var startedAt = GoTime.Rfc3339(pod.StartedAt ?? pod.Created);
        var crashedAt = GoTime.Rfc3339(pod.LastCrashAt ?? pod.StartedAt ?? pod.Created);
        var crashed = new JsonObject
        {
            ["terminated"] = new JsonObject { ["exitCode"] = 1, ["reason"] = "Error", ["startedAt"] = startedAt, ["finishedAt"] = crashedAt },
        };
        return job switch
        {
            JobOutcome.Succeeded => ("Succeeded", false, Terminated(0, "Completed", startedAt), new JsonObject()),
            JobOutcome.Failed => ("Failed", false, Terminated(1, "Error", startedAt), new JsonObject()),
            _ when pod.CrashLooping => ("Running", false, new JsonObject
            {
                ["waiting"] = new JsonObject
                {
                    ["reason"] = "CrashLoopBackOff",
                    ["message"] = $"back-off 5m0s restarting failed container pod={pod.Name}",
                },
            }, crashed),
            _ when pod.Running => ("Running", job is null, new JsonObject
            {
                ["running"] = new JsonObject { ["startedAt"] = startedAt },
            }, pod.Restarts > 0 ? crashed : new JsonObject()),
            _ => ("Pending", false, new JsonObject
            {
                ["waiting"] = new JsonObject { ["reason"] = "ContainerCreating" },
            }, new JsonObject()),
        };
    }

    private static JsonObject Terminated(int exitCode, string reason, string at) => new()
    {
        ["terminated"] = new JsonObject { ["exitCode"] = exitCode, ["reason"] = reason, ["startedAt"] = at, ["finishedAt"] = at },
    };

    private static JsonObject PodSpec(string container, string image, string restartPolicy) => new()
    {
        ["containers"] = new JsonArray(new JsonObject { ["name"] = container, ["image"] = image }),
        ["restartPolicy"] = restartPolicy,
    };

    private static JsonObject Labels(IEnumerable<KeyValuePair<string, string>> labels)
    {
        var json = new JsonObject();
        foreach (var (key, value) in labels)
        {
            json[key] = value;
        }

        return json;
    }

    private static JsonObject Condition(string type, bool status, string at) => new()
    {
        ["type"] = type,
        ["status"] = status ? "True" : "False",
        ["lastTransitionTime"] = at,
    };

    private static JsonObject JobCondition(string type, string? reason, string? message, DateTimeOffset at)
    {
        var condition = new JsonObject
        {
            ["type"] = type,
            ["status"] = "True",
            ["lastProbeTime"] = GoTime.Rfc3339(at),
            ["lastTransitionTime"] = GoTime.Rfc3339(at),
        };
        if (reason is not null)
        {
            condition["reason"] = reason;
            condition["message"] = message;
        }

        return condition;
    }

    private static JsonObject Metric(string resource, int? current)
    {
        var metric = new JsonObject { ["name"] = resource };
        if (current is { } value)
        {
            metric["current"] = new JsonObject { ["averageUtilization"] = value };
        }
        else
        {
            metric["target"] = new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = 90 };
        }

        return new JsonObject { ["type"] = "Resource", ["resource"] = metric };
    }
}

internal enum JobOutcome
{
    Running,
    Succeeded,
    Failed,
}
