namespace QuayGateway.Sandbox.Operator;

/// <summary>
/// The rollout's phases, each <c>PhaseDelay</c> long: objects created, databases up and migrations running,
/// migrations done and the apps up, then everything (the mirror last) healthy.
/// </summary>
internal static class Phase
{
    public const int Created = 0;
    public const int Migrating = 1;
    public const int Migrated = 2;
    public const int Healthy = 3;
}

/// <summary>One Deployment the operator creates, named <c>&lt;registry&gt;-&lt;Suffix&gt;</c>.</summary>
/// <param name="Kind">The component kind that manages it (and that faults name).</param>
/// <param name="PodComponent">The pods' <c>quay-component</c> label.</param>
/// <param name="HpaMax">Max replicas of its HPA; null when it never has one.</param>
/// <param name="ReadyPhase">The phase in which its new pods turn Running.</param>
/// <param name="UsesConfig">Whether its pods mount the config bundle, so a config change rolls them.</param>
/// <param name="LegacyGroup">The <c>unhealthyComponents</c> key it reports under in the 3.6 shape.</param>
internal sealed record Workload(
    string Suffix,
    string Kind,
    string PodComponent,
    string Image,
    int? HpaMax,
    int ReadyPhase,
    bool UsesConfig,
    string LegacyGroup)
{
    private const string QuayImage = "registry.redhat.io/quay/quay-rhel8";
    private const string ClairImage = "registry.redhat.io/quay/clair-rhel8";
    private const string PostgresImage = "registry.redhat.io/rhel8/postgresql-13";

    public static IReadOnlyList<Workload> For(OperatorProfile profile)
    {
        var version = "v" + profile.QuayVersion;
        List<Workload> all =
        [
            new("quay-app", "quay", "quay-app", $"{QuayImage}:{version}", 20, Phase.Migrated, true, "quay"),
            new("quay-database", "postgres", "postgres", PostgresImage, null, Phase.Migrating, false, "postgres"),
            new("quay-redis", "redis", "redis", "registry.redhat.io/rhel8/redis-6", null, Phase.Migrating, false, "redis"),
            new("clair-app", "clair", "clair-app", $"{ClairImage}:{version}", 10, Phase.Migrated, false, "clair"),
            new("clair-postgres", "clairpostgres", "clair-postgres", PostgresImage, null, Phase.Migrating, false, "clair"),
            new("quay-mirror", "mirror", "quay-mirror", $"{QuayImage}:{version}", 20, Phase.Healthy, true, "mirror"),
        ];
        if (profile.IsLegacy)
        {
            all.Add(new("quay-config-editor", "quay", "quay-config-editor", $"{QuayImage}:{version}", null, Phase.Migrated, true, "quay"));
        }

        return all;
    }

    /// <summary>
    /// Whether the operator runs it. Clair's database follows Clair (3.6 has no clairpostgres kind; newer
    /// operators only deploy it for a managed Clair).
    /// </summary>
    public bool IsManaged(RegistrySpec spec, OperatorProfile profile) => Kind switch
    {
        "clairpostgres" => spec.IsManaged("clair") && (profile.IsLegacy || spec.IsManaged("clairpostgres")),
        _ => spec.IsManaged(Kind),
    };

    public bool HasHpa(RegistrySpec spec) => HpaMax is not null && spec.IsManaged("horizontalpodautoscaler");

    /// <summary>2 under a managed HPA (its minimum), otherwise the <c>replicas</c> override or 1.</summary>
    public int Replicas(RegistrySpec spec) => HasHpa(spec) ? 2 : spec.Find(Kind)?.Replicas ?? 1;
}
