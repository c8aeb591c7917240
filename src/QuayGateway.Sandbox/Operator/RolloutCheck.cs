namespace QuayGateway.Sandbox.Operator;

/// <summary>Why the operator refuses to roll out: the RolloutBlocked reason and message it writes.</summary>
internal sealed record Blocker(string Reason, string Message);

/// <summary>The operator's pre-flight checks, in the order the real controller makes them.</summary>
internal static class RolloutCheck
{
    public const string ConfigInvalid = "ConfigInvalid";
    public const string ComponentOverrideInvalid = "ComponentOverrideInvalid";

    private static readonly string[] RequiredKinds = ["postgres", "objectstorage", "route", "redis", "tls"];
    private static readonly string[] ReplicaOverrideKinds = ["clair", "mirror", "quay"];

    // Components whose config.yaml keys conflict with a managed component (redis and route are allowed both ways).
    private static readonly string[] ManagedMustNotConfigure = ["postgres", "objectstorage", "clair", "tls"];

    public static Blocker? Find(RegistrySpec spec, ConfigBundle? bundle, string bundleName, OperatorProfile profile)
    {
        if (bundle is null)
        {
            var notFound = $"secrets \"{bundleName}\" not found";
            return new Blocker(ConfigInvalid, profile.IsLegacy
                ? $"unable to retrieve referenced `configBundleSecret`: {bundleName}, error: {notFound}"
                : $"unable to get `configBundleSecret`: {notFound}");
        }

        if (OverrideProblem(spec) is { } overrides)
        {
            return new Blocker(ComponentOverrideInvalid, $"invalid overrides: {overrides}");
        }

        if (bundle.ParseError is { } parseError)
        {
            return new Blocker(ConfigInvalid, parseError);
        }

        foreach (var component in spec.Components)
        {
            var configured = Configures(bundle, component);
            if (component.Managed && configured && ManagedMustNotConfigure.Contains(component.Kind))
            {
                return new Blocker(ConfigInvalid, $"{component.Kind} component marked as managed, but `configBundleSecret` contains required fields");
            }

            if (!component.Managed && !configured && RequiredKinds.Contains(component.Kind))
            {
                return new Blocker(ConfigInvalid, $"required component `{component.Kind}` marked as unmanaged, but `configBundleSecret` is missing necessary fields");
            }
        }

        return null;
    }

    private static string? OverrideProblem(RegistrySpec spec)
    {
        foreach (var component in spec.Components.Where(c => c.Overrides is { Count: > 0 }))
        {
            if (!component.Managed)
            {
                return $"cannot set overrides on unmanaged {component.Kind}";
            }

            if (component.Replicas is not null && !ReplicaOverrideKinds.Contains(component.Kind))
            {
                return $"component {component.Kind} does not support replicas overrides";
            }

            if (component.Replicas is > 0 && spec.IsManaged("horizontalpodautoscaler"))
            {
                return "cannot override replicas with managed HPA";
            }
        }

        return null;
    }

    /// <summary>Whether the bundle carries this component's own settings (the operator's field-group check).</summary>
    private static bool Configures(ConfigBundle bundle, ComponentSpec component) => component.Kind switch
    {
        "postgres" => bundle.Has("DB_URI") || bundle.Has("DB_CONNECTION_ARGS"),
        "objectstorage" => bundle.Has("DISTRIBUTED_STORAGE_CONFIG") || bundle.Has("DISTRIBUTED_STORAGE_PREFERENCE")
            || bundle.Has("DISTRIBUTED_STORAGE_DEFAULT_LOCATIONS"),
        "redis" => bundle.Has("BUILDLOGS_REDIS") || bundle.Has("USER_EVENTS_REDIS"),
        "route" => bundle.Has("SERVER_HOSTNAME"),
        "tls" => (bundle.Files.Contains("ssl.cert") && bundle.Files.Contains("ssl.key")) || component.SecretRef is not null,
        "clair" => bundle.Has("SECURITY_SCANNER_V4_ENDPOINT"),
        _ => false,
    };
}
