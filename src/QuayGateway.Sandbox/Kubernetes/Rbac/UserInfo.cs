namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>Who a request is, as the apiserver's authenticators say it: a user name and its groups.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Groups)
{
    public const string Authenticated = "system:authenticated";
    public const string Masters = "system:masters";
    public const string ServiceAccountPrefix = "system:serviceaccount:";

    /// <summary>A request without credentials.</summary>
    public static UserInfo Anonymous { get; } = new("system:anonymous", ["system:unauthenticated"]);

    /// <summary><c>system:serviceaccount:NS:NAME</c> in <c>system:serviceaccounts</c>, <c>system:serviceaccounts:NS</c>, <c>system:authenticated</c>.</summary>
    public static UserInfo ServiceAccount(string ns, string name) =>
        new($"{ServiceAccountPrefix}{ns}:{name}", ServiceAccountGroups(ns));

    /// <summary>A user in the given groups and <c>system:authenticated</c>.</summary>
    public static UserInfo User(string name, params string[] groups) =>
        new(name, groups.Contains(Authenticated) ? groups : [.. groups, Authenticated]);

    internal static string[] ServiceAccountGroups(string ns) => ["system:serviceaccounts", $"system:serviceaccounts:{ns}", Authenticated];

    /// <summary>The namespace and name of a service account user name, or null for other users.</summary>
    internal static (string Namespace, string Name)? ParseServiceAccount(string user)
    {
        if (!user.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal)) return null;
        var parts = user[ServiceAccountPrefix.Length..].Split(':');
        return parts.Length == 2 && parts[0].Length > 0 && parts[1].Length > 0 ? (parts[0], parts[1]) : null;
    }
}
