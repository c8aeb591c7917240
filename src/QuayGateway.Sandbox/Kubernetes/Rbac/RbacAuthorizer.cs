using System.Text.Json.Nodes;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>The authorizer's answer; <see cref="Reason"/> is worded as RBAC words it ("RBAC: allowed by …").</summary>
public sealed record AccessDecision(bool Allowed, string Reason);

/// <summary>
/// The RBAC authorizer over the Roles, ClusterRoles, RoleBindings and ClusterRoleBindings in the store, with the
/// rule matching of <c>k8s.io/kubernetes/plugin/pkg/auth/authorizer/rbac</c>: verbs, apiGroups, resources
/// (<c>*</c>, <c>resource/subresource</c>, <c>*/subresource</c>), resourceNames and nonResourceURLs. Two bootstrap
/// policies are built in rather than stored: <c>system:masters</c> may do everything (cluster-admin), and every
/// authenticated user may create SelfSubjectAccessReviews and read discovery (system:basic-user, system:discovery).
/// </summary>
public sealed class RbacAuthorizer(ObjectStore store)
{
    public const string Group = "rbac.authorization.k8s.io";

    private static readonly string[] DiscoveryPaths = ["/api", "/api/*", "/apis", "/apis/*", "/version", "/version/", "/healthz", "/livez", "/readyz", "/openapi", "/openapi/*"];

    public AccessDecision Authorize(UserInfo user, RequestAttributes request) =>
        Authorize(user, rule => ResourceRuleMatches(rule, request), request.Namespace);

    /// <summary>A non-resource request (<c>get /healthz</c>): only ClusterRoles grant those.</summary>
    public AccessDecision AuthorizeNonResource(UserInfo user, string verb, string path)
    {
        if (user.Groups.Contains(UserInfo.Authenticated) && verb == "get" && DiscoveryPaths.Any(p => UrlMatches(p, path)))
            return new AccessDecision(true, "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\"");
        return Authorize(user, rule => NonResourceRuleMatches(rule, verb, path), null);
    }

    private AccessDecision Authorize(UserInfo user, Func<JsonObject, bool> matches, string? ns)
    {
        if (user.Groups.Contains(UserInfo.Masters))
            return new AccessDecision(true, "RBAC: allowed by ClusterRoleBinding \"cluster-admin\" of ClusterRole \"cluster-admin\" to Group \"system:masters\"");
        if (user.Groups.Contains(UserInfo.Authenticated) && matches(BasicUserRule))
            return new AccessDecision(true, "RBAC: allowed by ClusterRoleBinding \"system:basic-user\" of ClusterRole \"system:basic-user\" to Group \"system:authenticated\"");

        var problems = new List<string>();
        foreach (var binding in store.List(ResourceTypes.ClusterRoleBindings.Plural, null))
        {
            if (Subject(binding, user, null) is not { } subject) continue;
            var roleName = binding["roleRef"]?["name"].Str() ?? "";
            if (binding["roleRef"]?["kind"].Str() != "ClusterRole") continue;
            var role = store.Get(ResourceTypes.ClusterRoles.Plural, null, roleName);
            if (role is null)
            {
                problems.Add($"clusterrole.rbac.authorization.k8s.io \"{roleName}\" not found");
                continue;
            }
            if (Rules(role).Any(matches))
                return new AccessDecision(true, $"RBAC: allowed by ClusterRoleBinding \"{binding.Name()}\" of ClusterRole \"{roleName}\" to {subject}");
        }
        if (!string.IsNullOrEmpty(ns))
        {
            foreach (var binding in store.List(ResourceTypes.RoleBindings.Plural, ns))
            {
                if (Subject(binding, user, ns) is not { } subject) continue;
                var kind = binding["roleRef"]?["kind"].Str();
                var roleName = binding["roleRef"]?["name"].Str() ?? "";
                var role = kind switch
                {
                    "Role" => store.Get(ResourceTypes.Roles.Plural, ns, roleName),
                    "ClusterRole" => store.Get(ResourceTypes.ClusterRoles.Plural, null, roleName),
                    _ => null,
                };
                if (role is null)
                {
                    problems.Add(kind == "Role" ? $"role.rbac.authorization.k8s.io \"{roleName}\" not found" : $"clusterrole.rbac.authorization.k8s.io \"{roleName}\" not found");
                    continue;
                }
                if (Rules(role).Any(matches))
                    return new AccessDecision(true, $"RBAC: allowed by RoleBinding \"{binding.Name()}/{ns}\" of {kind} \"{roleName}\" to {subject}");
            }
        }
        return new AccessDecision(false, problems.Count == 0 ? "" : "RBAC: " + string.Join(", ", problems));
    }

    private static readonly JsonObject BasicUserRule = new()
    {
        ["apiGroups"] = new JsonArray("authorization.k8s.io"),
        ["resources"] = new JsonArray("selfsubjectaccessreviews", "selfsubjectrulesreviews"),
        ["verbs"] = new JsonArray("create"),
    };

    private static IEnumerable<JsonObject> Rules(JsonObject role) => role["rules"] is JsonArray rules ? rules.OfType<JsonObject>() : [];

    /// <summary>How the binding names the user ("User \"bob\"", "Group \"g\"", "ServiceAccount \"ns/sa\""), or null when it does not.</summary>
    private static string? Subject(JsonObject binding, UserInfo user, string? bindingNamespace)
    {
        if (binding["subjects"] is not JsonArray subjects) return null;
        foreach (var subject in subjects.OfType<JsonObject>())
        {
            var name = subject["name"].Str() ?? "";
            switch (subject["kind"].Str())
            {
                case "User" when name == user.Name:
                    return $"User \"{name}\"";
                case "Group" when user.Groups.Contains(name):
                    return $"Group \"{name}\"";
                case "ServiceAccount":
                    var ns = subject["namespace"].Str() ?? bindingNamespace ?? "";
                    if (user.Name == $"{UserInfo.ServiceAccountPrefix}{ns}:{name}") return $"ServiceAccount \"{name}/{ns}\"";
                    break;
            }
        }
        return null;
    }

    private static bool ResourceRuleMatches(JsonObject rule, RequestAttributes request)
    {
        if (!Has(rule["verbs"], request.Verb) || !Has(rule["apiGroups"], request.Group)) return false;
        var resources = Strings(rule["resources"]);
        var combined = request.ResourceWithSubresource;
        if (!resources.Any(r => r == "*" || r == combined || (request.Subresource is { } sub && r == "*/" + sub))) return false;
        var names = Strings(rule["resourceNames"]);
        return names.Count == 0 || (request.Name is { } name && names.Contains(name));
    }

    private static bool NonResourceRuleMatches(JsonObject rule, string verb, string path) =>
        Has(rule["verbs"], verb) && Strings(rule["nonResourceURLs"]).Any(u => UrlMatches(u, path));

    private static bool UrlMatches(string rule, string path) =>
        rule == "*" || rule == path || (rule.EndsWith('*') && path.StartsWith(rule[..^1], StringComparison.Ordinal));

    private static bool Has(JsonNode? list, string value) => Strings(list) is var values && (values.Contains("*") || values.Contains(value));

    private static List<string> Strings(JsonNode? list) => list is JsonArray array ? array.Select(v => v.Str() ?? "").ToList() : [];
}
