using YamlDotNet.RepresentationModel;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>The config.yaml settings of one registry that change how its Quay API answers.</summary>
internal sealed record QuayConfig(
    bool UserInitialize,
    string AuthenticationType,
    bool Mailing,
    bool AnonymousAccess,
    bool SuperUsersOrgCreationOnly,
    IReadOnlySet<string> SuperUsers)
{
    /// <summary>Quay's defaults (config.py) for a bundle that sets none of these keys.</summary>
    public static QuayConfig Defaults { get; } = new(false, "Database", true, true, false, new HashSet<string>());

    /// <summary><c>FEATURE_QUOTA_MANAGEMENT</c> (off by default): the organization quota endpoints exist only with it.</summary>
    public bool QuotaManagement { get; init; }

    public static QuayConfig From(IReadOnlyDictionary<string, YamlNode> config) => new(
        Flag(config, "FEATURE_USER_INITIALIZE", Defaults.UserInitialize),
        Text(config, "AUTHENTICATION_TYPE") ?? Defaults.AuthenticationType,
        Flag(config, "FEATURE_MAILING", Defaults.Mailing),
        Flag(config, "FEATURE_ANONYMOUS_ACCESS", Defaults.AnonymousAccess),
        Flag(config, "FEATURE_SUPERUSERS_ORG_CREATION_ONLY", Defaults.SuperUsersOrgCreationOnly),
        config.TryGetValue("SUPER_USERS", out var users) && users is YamlSequenceNode list
            ? list.Children.OfType<YamlScalarNode>().Select(u => u.Value ?? "").ToHashSet(StringComparer.Ordinal)
            : new HashSet<string>())
    {
        QuotaManagement = Flag(config, "FEATURE_QUOTA_MANAGEMENT", false),
    };

    // PyYAML (YAML 1.1) reads true/yes/on as booleans.
    private static bool Flag(IReadOnlyDictionary<string, YamlNode> config, string key, bool fallback) =>
        Text(config, key)?.ToLowerInvariant() switch
        {
            null => fallback,
            "true" or "yes" or "on" => true,
            _ => false,
        };

    private static string? Text(IReadOnlyDictionary<string, YamlNode> config, string key) =>
        config.TryGetValue(key, out var node) && node is YamlScalarNode { Value: { } value } ? value : null;
}
