namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>One kind of object the sandbox serves, described the way discovery describes it.</summary>
/// <param name="ReturnsDeletedObject">A real apiserver answers DELETE with the object for some kinds and with a Status for others.</param>
public sealed record ResourceType(
    string Plural,
    string Singular,
    string Kind,
    string Group,
    string Version,
    bool Namespaced,
    bool HasStatus,
    bool TracksGeneration,
    bool ReturnsDeletedObject,
    IReadOnlyList<string> ShortNames,
    IReadOnlyList<string> Categories)
{
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The name a real apiserver puts in messages: "pods", "quayregistries.quay.redhat.com".</summary>
    public string QualifiedName => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>"QuayRegistry.quay.redhat.com" or "Pod", as in Invalid messages.</summary>
    public string QualifiedKind => Group.Length == 0 ? Kind : $"{Kind}.{Group}";

    public string ListKind => Kind + "List";
}

/// <summary>The fixed set of resources the sandbox cluster knows.</summary>
public static class ResourceTypes
{
    private static readonly string[] None = [];
    private static readonly string[] All = ["all"];

    public static readonly ResourceType Namespaces = new("namespaces", "namespace", "Namespace", "", "v1", false, true, false, true, ["ns"], None);
    public static readonly ResourceType Secrets = new("secrets", "secret", "Secret", "", "v1", true, false, false, false, None, None);
    public static readonly ResourceType Pods = new("pods", "pod", "Pod", "", "v1", true, true, false, true, ["po"], All);
    public static readonly ResourceType Events = new("events", "event", "Event", "", "v1", true, false, false, false, ["ev"], None);
    public static readonly ResourceType Deployments = new("deployments", "deployment", "Deployment", "apps", "v1", true, true, true, false, ["deploy"], All);
    public static readonly ResourceType Jobs = new("jobs", "job", "Job", "batch", "v1", true, true, true, false, None, All);
    public static readonly ResourceType HorizontalPodAutoscalers = new("horizontalpodautoscalers", "horizontalpodautoscaler", "HorizontalPodAutoscaler", "autoscaling", "v2", true, true, true, false, ["hpa"], All);
    public static readonly ResourceType QuayRegistries = new("quayregistries", "quayregistry", "QuayRegistry", "quay.redhat.com", "v1", true, true, true, true, None, None);

    // RBAC (Rbac/RbacAuthorizer.cs reads them): a real apiserver answers their DELETE with a Status.
    public static readonly ResourceType ClusterRoles = new("clusterroles", "clusterrole", "ClusterRole", RbacAuthorizer.Group, "v1", false, false, false, false, None, None);
    public static readonly ResourceType ClusterRoleBindings = new("clusterrolebindings", "clusterrolebinding", "ClusterRoleBinding", RbacAuthorizer.Group, "v1", false, false, false, false, None, None);
    public static readonly ResourceType Roles = new("roles", "role", "Role", RbacAuthorizer.Group, "v1", true, false, false, false, None, None);
    public static readonly ResourceType RoleBindings = new("rolebindings", "rolebinding", "RoleBinding", RbacAuthorizer.Group, "v1", true, false, false, false, None, None);

    public static IReadOnlyList<ResourceType> Known { get; } =
        [Namespaces, Secrets, Pods, Events, Deployments, Jobs, HorizontalPodAutoscalers, QuayRegistries, ClusterRoles, ClusterRoleBindings, Roles, RoleBindings];

    private static readonly Dictionary<string, ResourceType> ByPlural = Known.ToDictionary(t => t.Plural, StringComparer.Ordinal);

    public static ResourceType? Find(string plural) => ByPlural.GetValueOrDefault(plural);

    public static ResourceType? Find(string group, string version, string plural) =>
        ByPlural.TryGetValue(plural, out var type) && type.Group == group && type.Version == version ? type : null;

    public static ResourceType Require(string plural) =>
        Find(plural) ?? throw KubernetesStatusException.NotFound("the server could not find the requested resource");
}
