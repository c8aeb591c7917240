namespace QuayGateway.Registries.Model;

/// <summary>Facts about QuayRegistry components, from the operator's CRD and behaviour (reference NOTES.md).</summary>
public static class QuayComponents
{
    /// <summary>The CRD's <c>spec.components[].kind</c> enum, in the CRD's order.</summary>
    public static readonly IReadOnlyList<string> Kinds =
    [
        "quay", "postgres", "clair", "clairpostgres", "redis", "horizontalpodautoscaler",
        "objectstorage", "route", "mirror", "monitoring", "tls",
    ];

    public const string Hpa = "horizontalpodautoscaler";

    /// <summary>Override keys the CRD documents; their shapes, and what none may grant, are checked by the request validator.</summary>
    public static readonly IReadOnlySet<string> OverrideKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "volumeSize", "storageClassName", "env", "replicas", "affinity", "labels", "annotations", "resources",
        "securityContext",
    };

    /// <summary><c>replicas</c> and <c>affinity</c> overrides apply only to these.</summary>
    public static readonly IReadOnlySet<string> ScalableKinds = new HashSet<string>(StringComparer.Ordinal) { "clair", "mirror", "quay" };

    /// <summary>
    /// When one of these is unmanaged, config.yaml (or the bundle) must carry its settings, else the operator blocks
    /// with ConfigInvalid. Each entry lists alternatives: any one of them satisfies the requirement.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string[]> UnmanagedRequiresConfig = new Dictionary<string, string[]>
    {
        ["postgres"] = ["DB_URI", "DB_CONNECTION_ARGS"],
        ["objectstorage"] = ["DISTRIBUTED_STORAGE_CONFIG", "DISTRIBUTED_STORAGE_PREFERENCE", "DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS"],
        ["redis"] = ["BUILDLOGS_REDIS", "USER_EVENTS_REDIS"],
        ["route"] = ["SERVER_HOSTNAME"],
    };

    /// <summary>When one of these is managed, config.yaml must not carry its settings (operator: ConfigInvalid).</summary>
    public static readonly IReadOnlyDictionary<string, string[]> ManagedForbidsConfig = new Dictionary<string, string[]>
    {
        ["postgres"] = ["DB_URI"],
        ["objectstorage"] = ["DISTRIBUTED_STORAGE_CONFIG"],
    };

    /// <summary>The TLS pair lives as bundle keys next to config.yaml.</summary>
    public static readonly string[] TlsBundleKeys = ["ssl.cert", "ssl.key"];
}
