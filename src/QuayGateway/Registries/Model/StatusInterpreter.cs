using System.Text.Json.Nodes;
using QuayGateway.Clusters;

namespace QuayGateway.Registries.Model;

/// <summary>A condition as the operator writes it.</summary>
/// <param name="Type">The condition's type as the operator writes it, such as <c>ComponentQuayReady</c>.</param>
/// <param name="Status"><c>True</c>, <c>False</c> or <c>Unknown</c>.</param>
/// <param name="Reason">The operator's CamelCase reason.</param>
/// <param name="Message">The operator's message.</param>
public sealed record OperatorCondition(string Type, string Status, string? Reason, string? Message)
{
    /// <summary>Whether <c>status</c> is <c>True</c>.</summary>
    public bool IsTrue => Status == "True";
}

/// <summary>What a QuayRegistry's status means for the gateway.</summary>
public sealed record RolloutView(
    RegistryState State,
    RegistryHealth Health,
    string Reason,
    string Message,
    IReadOnlyList<HealthCause> Causes,
    string? RegistryEndpoint,
    string? CurrentVersion,
    string? ConfigEditorEndpoint,
    long Generation,
    long? ObservedGeneration);

/// <summary>
/// Reads both operator shapes: current (ComponentsCreated, Component*Ready, observedGeneration) and 3.6-era
/// (Available=False/MigrationsInProgress, unhealthyComponents, configEditorEndpoint). See reference NOTES.md.
/// </summary>
public static class StatusInterpreter
{
    public static IReadOnlyList<OperatorCondition> Conditions(JsonObject? status) =>
        (status?["conditions"] as JsonArray ?? [])
        .OfType<JsonObject>()
        .Select(c => new OperatorCondition((string?)c["type"] ?? "", (string?)c["status"] ?? "Unknown", (string?)c["reason"], (string?)c["message"]))
        .ToList();

    public static RolloutView Interpret(QuayRegistryResource registry, RegistryState current)
    {
        var status = registry.Status;
        var conditions = Conditions(status);
        OperatorCondition? Find(string type) => conditions.FirstOrDefault(c => c.Type == type);

        var generation = registry.Metadata.Generation ?? 1;
        var observed = (long?)status?["observedGeneration"];
        var endpoint = (string?)status?["registryEndpoint"];
        var version = (string?)status?["currentVersion"];
        var editor = (string?)status?["configEditorEndpoint"];
        var blocked = Find(ConditionTypes.RolloutBlocked);
        var created = Find(ConditionTypes.ComponentsCreated);
        var available = Find(ConditionTypes.Available);
        var causes = Causes(conditions, status);

        RolloutView View(RegistryState state, RegistryHealth health, string reason, string message) =>
            new(state, health, reason, message, causes, endpoint, version, editor, generation, observed);

        // Where observedGeneration is reported, the rest of the status is about that generation only.
        var generationObserved = observed is null || observed >= generation;
        if (blocked is { IsTrue: true })
        {
            return View(RegistryState.Blocked, RegistryHealth.Degraded, blocked.Reason ?? "RolloutBlocked", blocked.Message ?? "");
        }

        if (created is { IsTrue: false, Reason: "MigrationsFailed" or "PostgresUpgradeFailed" or "MigrationsJobMissing" })
        {
            return View(RegistryState.Blocked, RegistryHealth.Degraded, created.Reason!, created.Message ?? "");
        }

        // Migrations done: ComponentsCreated=True on current operators; on 3.6, currentVersion is set and
        // Available no longer says MigrationsInProgress.
        var migrationsDone = created is not null
            ? created.IsTrue
            : version is not null && available?.Reason != "MigrationsInProgress";
        if (generationObserved && migrationsDone && available is { IsTrue: true })
        {
            return View(RegistryState.Available, RegistryHealth.Healthy, available.Reason ?? "HealthChecksPassing", available.Message ?? "");
        }

        if (generationObserved && RegistryLifecycle.HasBeenAvailable(current))
        {
            return View(RegistryState.Degraded, RegistryHealth.Degraded, available?.Reason ?? "ComponentNotReady",
                available?.Message ?? "The registry was available and is not any more.");
        }

        var (reason, message) = !generationObserved
            ? ("WaitingForOperator", $"The operator has not observed generation {generation} yet.")
            : created is { IsTrue: false } ? (created.Reason ?? "ComponentsNotCreated", created.Message ?? "")
            : available is not null ? (available.Reason ?? "NotAvailable", available.Message ?? "")
            : ("RolloutInProgress", "The operator is creating the registry's components.");
        return View(RegistryState.Progressing, RegistryHealth.Progressing, reason, message);
    }

    /// <summary>Unhealthy components: from Component*Ready=False (current) or copied from unhealthyComponents (3.6).</summary>
    private static List<HealthCause> Causes(IReadOnlyList<OperatorCondition> conditions, JsonObject? status)
    {
        var causes = conditions
            .Where(c => ConditionTypes.IsComponentReady(c.Type)
                        && c.Status == "False")
            .Select(c => new HealthCause(ComponentOf(c.Type), c.Reason ?? "ComponentNotReady", c.Message ?? ""))
            .ToList();
        if (status?["unhealthyComponents"] is JsonObject unhealthy)
        {
            foreach (var (component, entries) in unhealthy)
            {
                causes.AddRange((entries as JsonArray ?? []).OfType<JsonObject>().Select(e =>
                    new HealthCause(component, (string?)e["reason"] ?? "Unhealthy", (string?)e["message"] ?? "")));
            }
        }

        return causes;
    }

    /// <summary>"ComponentClairPostgresReady" → "clairpostgres"; "ComponentHPAReady" → "horizontalpodautoscaler".</summary>
    public static string ComponentOf(string conditionType)
    {
        var name = conditionType[ConditionTypes.ComponentPrefix.Length..^ConditionTypes.ComponentSuffix.Length].ToLowerInvariant();
        return name == "hpa" ? QuayComponents.Hpa : name;
    }
}
