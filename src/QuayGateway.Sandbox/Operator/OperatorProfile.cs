namespace QuayGateway.Sandbox.Operator;

/// <summary>
/// Which Quay Operator generation the sandbox plays. <c>current</c> writes <c>Component*Ready</c> conditions and
/// <c>observedGeneration</c>; <c>3.6</c> writes the source document's shape (<c>unhealthyComponents</c>, the
/// config editor fields) and knows only the nine component kinds of that release.
/// </summary>
internal sealed record OperatorProfile(string QuayVersion, IReadOnlyList<string> Kinds, bool IsLegacy)
{
    public static readonly OperatorProfile Current = new("3.16.2",
        ["quay", "postgres", "clair", "redis", "horizontalpodautoscaler", "objectstorage", "route", "mirror", "monitoring", "tls", "clairpostgres"],
        IsLegacy: false);

    public static readonly OperatorProfile V36 = new("3.6.0",
        ["postgres", "clair", "redis", "horizontalpodautoscaler", "objectstorage", "route", "mirror", "monitoring", "tls"],
        IsLegacy: true);

    public static OperatorProfile Parse(string name) => name switch
    {
        "current" => Current,
        "3.6" => V36,
        _ => throw new ArgumentException($"Unknown sandbox profile '{name}'; use 'current' or '3.6'.", nameof(name)),
    };

    /// <summary>
    /// The profile with another Quay version (<c>--quay-version</c>, <c>Gateway:Sandbox:QuayVersion</c>): "3.18" or
    /// "3.12.4". It is what <c>status.currentVersion</c> reports and which endpoints the sandbox's Quay serves.
    /// </summary>
    public OperatorProfile WithQuayVersion(string? version) => version is null ? this : this with { QuayVersion = QuayApi.QuayVersions.Normalize(version) };
}
