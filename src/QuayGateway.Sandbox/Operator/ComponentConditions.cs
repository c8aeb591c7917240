namespace QuayGateway.Sandbox.Operator;

/// <summary>One condition the operator writes, before timestamps are attached.</summary>
internal sealed record ConditionState(string Type, bool Status, string Reason, string Message)
{
    public const string Ready = "ComponentReady";
    public const string NotReady = "ComponentNotReady";
    public const string NotManaged = "ComponentNotManaged";
}

/// <summary>How far a managed Deployment has come: its desired and its ready replicas.</summary>
internal sealed record WorkloadHealth(Workload Workload, int Replicas, int Ready)
{
    public bool Available => Ready > 0 && Ready >= Replicas;
}

/// <summary>The current operator's status controller: one <c>Component&lt;Kind&gt;Ready</c> condition per kind.</summary>
internal sealed class ComponentConditions(string registry, RegistrySpec spec, IReadOnlyDictionary<string, WorkloadHealth> workloads, JobOutcome? migrations)
{
    // The status controller's order (conditions-catalog.json).
    public IReadOnlyList<ConditionState> All()
    {
        var postgres = Deployment("postgres", "ComponentPostgresReady", "Postgres", "quay-database", $"Deployment {registry}-quay-database healthy");
        var objectStorage = Simple("objectstorage", "ComponentObjectStorageReady", "Object storage", "Object bucket claim bound");
        var clair = Deployment("clair", "ComponentClairReady", "Clair", "clair-app", "Clair component healthy");
        var clairPostgres = Deployment("clairpostgres", "ComponentClairPostgresReady", "ClairPostgres", "clair-postgres", $"Deployment {registry}-clair-postgres healthy");
        var tls = Tls();
        var redis = Deployment("redis", "ComponentRedisReady", "Redis", "quay-redis", $"Deployment {registry}-quay-redis healthy");
        var quay = Quay([("postgres", postgres), ("objectstorage", objectStorage), ("clair", clair), ("clairpostgres", clairPostgres), ("tls", tls), ("redis", redis)]);
        return
        [
            Hpa(),
            Simple("route", "ComponentRouteReady", "Route", "Route admitted", notManaged: "Route is not managed by the operator"),
            Simple("monitoring", "ComponentMonitoringReady", "Monitoring", "ServiceMonitor and PrometheusRules created"),
            postgres,
            objectStorage,
            clair,
            clairPostgres,
            tls,
            redis,
            quay,
            Mirror(quay),
        ];
    }

    /// <summary>The Available condition: False as soon as any component is not ready.</summary>
    public static ConditionState Available(IEnumerable<ConditionState> components) =>
        components.Any(c => c.Reason == ConditionState.NotReady)
            ? new ConditionState("Available", false, ConditionState.NotReady, "Some components are not ready")
            : new ConditionState("Available", true, "HealthChecksPassing", "All components reporting as healthy");

    private ConditionState Hpa()
    {
        const string type = "ComponentHPAReady";
        if (!spec.IsManaged("horizontalpodautoscaler"))
        {
            return new(type, true, ConditionState.NotManaged, "Horizontal pod autoscaler not managed by the operator");
        }

        // The HPAs of managed workloads are created with their Deployments; unmanaged ones are not expected (the
        // fix of operator PR #1311), so a managed HPA is always found here.
        return new(type, true, ConditionState.Ready, "Horizontal pod autoscaler found");
    }

    private ConditionState Simple(string kind, string type, string title, string ready, string? notManaged = null) =>
        IsManaged(kind)
            ? new(type, true, ConditionState.Ready, ready)
            : new(type, true, ConditionState.NotManaged, notManaged ?? $"{title} not managed by the operator");

    private ConditionState Tls()
    {
        const string type = "ComponentTLSReady";
        if (spec.IsManaged("tls"))
        {
            return new(type, true, ConditionState.Ready, "Using cluster wildcard certs");
        }

        return spec.Find("tls")?.SecretRef is not null
            ? new(type, true, ConditionState.Ready, "Using externally managed TLS certificate")
            : new(type, true, ConditionState.Ready, "Config bundle contains certs");
    }

    private ConditionState Deployment(string kind, string type, string title, string suffix, string healthy)
    {
        if (!workloads.TryGetValue(suffix, out var health))
        {
            return new(type, true, ConditionState.NotManaged, $"{title} not managed by the operator");
        }

        return DeployCheck(type, health) ?? new(type, true, ConditionState.Ready, healthy);
    }

    private ConditionState Quay(IEnumerable<(string Kind, ConditionState Condition)> dependencies)
    {
        const string type = "ComponentQuayReady";
        var failed = dependencies.Where(d => d.Condition.Reason == ConditionState.NotReady).Select(d => d.Kind).ToList();
        if (failed.Count > 0)
        {
            return new(type, false, ConditionState.NotReady, $"Awaiting for component {string.Join(",", failed)} to become available");
        }

        if (migrations is not JobOutcome.Succeeded)
        {
            return new(type, false, ConditionState.NotReady, migrations is null
                ? $"job {registry}-quay-app-upgrade not found"
                : $"job {registry}-quay-app-upgrade not finished");
        }

        return DeployCheck(type, workloads["quay-app"]) ?? new(type, true, ConditionState.Ready, "Quay component healthy");
    }

    private ConditionState Mirror(ConditionState quay)
    {
        const string type = "ComponentMirrorReady";
        if (!workloads.TryGetValue("quay-mirror", out var health))
        {
            return new(type, true, ConditionState.NotManaged, "Mirror not managed by the operator");
        }

        if (!quay.Status)
        {
            return new(type, false, ConditionState.NotReady, "Awaiting for component quay to become available");
        }

        return DeployCheck(type, health) ?? new(type, true, ConditionState.Ready, $"Deployment {registry}-quay-mirror healthy");
    }

    /// <summary>pkg/cmpstatus/deploy.go: null when the Deployment is healthy.</summary>
    private ConditionState? DeployCheck(string type, WorkloadHealth health)
    {
        var deployment = $"{registry}-{health.Workload.Suffix}";
        if (health.Ready == 0)
        {
            return new(type, false, ConditionState.NotReady, $"Deployment {deployment} has zero replicas available");
        }

        return health.Available
            ? null
            : new(type, false, ConditionState.NotReady, $"Deployment {deployment}: Deployment does not have minimum availability.");
    }

    private bool IsManaged(string kind) => spec.IsManaged(kind);
}
