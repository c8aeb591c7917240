using System.Text.Json.Nodes;
using QuayGateway.Sandbox.Kubernetes;

namespace QuayGateway.Sandbox.Operator;

/// <summary>Everything the status of a rollout that is not blocked depends on.</summary>
internal sealed record RolloutView(
    OperatorProfile Profile,
    string Registry,
    long Generation,
    int Phase,
    JobOutcome? Migrations,
    IReadOnlyDictionary<string, WorkloadHealth> Workloads,
    RegistrySpec Spec,
    string RegistryEndpoint,
    string? ConfigEditorEndpoint,
    string? ConfigEditorCredentialsSecret)
{
    public bool AllWorkloadsAvailable => Workloads.Values.All(w => w.Available);
}

/// <summary>Writes <c>status</c> in the shape of the chosen operator generation, keeping condition timestamps stable.</summary>
internal static class StatusBuilder
{
    private static readonly string[] CurrentOrder =
    [
        "ComponentHPAReady", "ComponentRouteReady", "ComponentMonitoringReady", "ComponentPostgresReady",
        "ComponentObjectStorageReady", "ComponentClairReady", "ComponentClairPostgresReady", "ComponentTLSReady",
        "ComponentRedisReady", "ComponentQuayReady", "ComponentMirrorReady", "Available", "ComponentsCreated", "RolloutBlocked",
    ];

    public static JsonObject Build(RolloutView view, JsonObject? previous, DateTimeOffset now) =>
        view.Profile.IsLegacy ? Legacy(view, previous, now) : Current(view, previous, now);

    /// <summary>A blocked rollout: only RolloutBlocked changes; what was there (Available included) stays.</summary>
    public static JsonObject Blocked(Blocker blocker, JsonObject? previous, DateTimeOffset now)
    {
        var status = (JsonObject?)previous?.DeepClone() ?? [];
        var conditions = Conditions(previous).Where(c => c.Type != "RolloutBlocked").ToList();
        conditions.Add(new ConditionState("RolloutBlocked", true, blocker.Reason, blocker.Message));
        status["conditions"] = Stamp(conditions, previous, now);
        return status;
    }

    private static JsonObject Current(RolloutView view, JsonObject? previous, DateTimeOffset now)
    {
        var components = new ComponentConditions(view.Registry, view.Spec, view.Workloads, view.Migrations).All();
        var available = ComponentConditions.Available(components);
        var conditions = components.Append(available).ToList();
        if (view.Migrations is { } migrations)
        {
            conditions.Add(migrations switch
            {
                JobOutcome.Succeeded => new ConditionState("ComponentsCreated", true, "ComponentsCreationSuccess", "All registry components created"),
                JobOutcome.Failed => new ConditionState("ComponentsCreated", false, "MigrationsFailed", KubeObjects.MigrationFailure),
                _ => new ConditionState("ComponentsCreated", false, "MigrationsInProgress", "running database migrations"),
            });
        }

        conditions.Add(new ConditionState("RolloutBlocked", false, "ComponentsCreationSuccess", "All objects created/updated successfully"));
        var done = available.Status && view.Migrations == JobOutcome.Succeeded && view.Phase >= Phase.Healthy;

        var status = new JsonObject
        {
            ["conditions"] = Stamp(conditions.OrderBy(c => Array.IndexOf(CurrentOrder, c.Type)).ToList(), previous, now),
        };
        Carry(status, previous, "currentVersion", view.Migrations == JobOutcome.Succeeded ? view.Profile.QuayVersion : null);
        Carry(status, previous, "registryEndpoint", view.Phase >= Phase.Migrating ? view.RegistryEndpoint : null);
        status["lastUpdated"] = previous?["lastUpdated"]?.DeepClone();
        if (done || previous?["observedGeneration"] is not null)
        {
            status["observedGeneration"] = done ? view.Generation : previous!["observedGeneration"]!.DeepClone();
        }

        return status;
    }

    /// <summary>The 3.6 shape of the source document: two conditions, the config editor, unhealthyComponents.</summary>
    private static JsonObject Legacy(RolloutView view, JsonObject? previous, DateTimeOffset now)
    {
        var healthy = view.Migrations == JobOutcome.Succeeded && view.AllWorkloadsAvailable && view.Phase >= Phase.Healthy;
        var everHealthy = previous?["currentVersion"] is not null;
        ConditionState? available = healthy
            ? new("Available", true, "HealthChecksPassing", "all registry component healthchecks passing")
            : everHealthy
                ? new("Available", false, ConditionState.NotReady, "Some components are not ready")
                : view.Phase >= Phase.Migrating
                    ? new("Available", false, "MigrationsInProgress", "running database migrations")
                    : null;
        var blocked = new ConditionState("RolloutBlocked", false, "ComponentsCreationSuccess", "all objects created/updated successfully");

        // The 3.6 operator removes and re-appends RolloutBlocked on each pass that follows the healthy state.
        List<ConditionState> conditions = available is null ? [blocked]
            : healthy || everHealthy ? [available, blocked]
            : [blocked, available];

        var status = new JsonObject
        {
            ["conditions"] = Stamp(conditions, previous, now),
            ["configEditorCredentialsSecret"] = view.ConfigEditorCredentialsSecret,
            ["configEditorEndpoint"] = view.ConfigEditorEndpoint,
        };
        Carry(status, previous, "currentVersion", healthy ? view.Profile.QuayVersion : null);
        status["lastUpdated"] = previous?["lastUpdated"]?.DeepClone();
        Carry(status, previous, "registryEndpoint", healthy ? view.RegistryEndpoint : null);
        status["unhealthyComponents"] = Unhealthy(view, previous?["unhealthyComponents"] as JsonObject, now);
        return status;
    }

    private static JsonObject Unhealthy(RolloutView view, JsonObject? previous, DateTimeOffset now)
    {
        var groups = new JsonObject();
        foreach (var health in view.Workloads.Values.Where(w => !w.Available))
        {
            var entry = KubeObjects.DeploymentAvailable($"{view.Registry}-{health.Workload.Suffix}", false);
            var earlier = (previous?[health.Workload.LegacyGroup] as JsonArray)?.OfType<JsonObject>()
                .FirstOrDefault(e => e["message"].Str() == entry["message"].Str());
            var at = GoTime.Rfc3339(now);
            entry["lastUpdateTime"] = earlier?["lastUpdateTime"]?.DeepClone() ?? at;
            entry["lastTransitionTime"] = earlier?["lastTransitionTime"]?.DeepClone() ?? at;
            if (groups[health.Workload.LegacyGroup] is not JsonArray list)
            {
                list = [];
                groups[health.Workload.LegacyGroup] = list;
            }

            list.Add(entry);
        }

        return groups;
    }

    /// <summary>Sets a field once known and keeps an earlier value (the operator never clears these).</summary>
    private static void Carry(JsonObject status, JsonObject? previous, string field, string? value)
    {
        if ((value ?? previous?[field].Str()) is { } known)
        {
            status[field] = known;
        }
    }

    private static IEnumerable<ConditionState> Conditions(JsonObject? status) =>
        (status?["conditions"] as JsonArray ?? []).OfType<JsonObject>().Select(c => new ConditionState(
            c["type"].Str() ?? "", c["status"].Str() == "True", c["reason"].Str() ?? "", c["message"].Str() ?? ""));

    /// <summary>Attaches lastUpdateTime/lastTransitionTime, keeping the earlier ones for unchanged conditions.</summary>
    private static JsonArray Stamp(IReadOnlyList<ConditionState> conditions, JsonObject? previous, DateTimeOffset now)
    {
        var before = (previous?["conditions"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(c => c["type"].Str() is not null)
            .GroupBy(c => c["type"].Str()!)
            .ToDictionary(g => g.Key, g => g.First());
        var at = GoTime.Rfc3339(now);
        var stamped = new JsonArray();
        foreach (var condition in conditions)
        {
            var status = condition.Status ? "True" : "False";
            before.TryGetValue(condition.Type, out var old);
            var sameStatus = old?["status"].Str() == status;
            var unchanged = sameStatus && old!["reason"].Str() == condition.Reason && old["message"].Str() == condition.Message;
            stamped.Add(new JsonObject
            {
                ["type"] = condition.Type,
                ["status"] = status,
                ["reason"] = condition.Reason,
                ["message"] = condition.Message,
                ["lastUpdateTime"] = unchanged ? old!["lastUpdateTime"]?.DeepClone() : at,
                ["lastTransitionTime"] = sameStatus ? old!["lastTransitionTime"]?.DeepClone() : at,
            });
        }

        return stamped;
    }
}
