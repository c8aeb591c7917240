namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// What the authorizer decides on, as the apiserver's RequestInfo gives it: verb, API group, resource, subresource,
/// namespace (for a Namespace object itself: its name) and name. Null namespace means the cluster scope.
/// </summary>
public sealed record RequestAttributes(string Verb, string Group, string Resource, string? Subresource, string? Namespace, string? Name)
{
    /// <summary>"pods" or "quayregistries/status", as rules and messages name it.</summary>
    public string ResourceWithSubresource => Subresource is null ? Resource : $"{Resource}/{Subresource}";

    internal static RequestAttributes For(string verb, ApiPath path) =>
        new(verb, path.Type.Group, path.Type.Plural, path.Subresource,
            path.Type == ResourceTypes.Namespaces ? path.Name : path.Namespace, path.Name);

    /// <summary>The real 403: <c>pods "x" is forbidden: User "u" cannot get resource "pods" in API group "" in the namespace "n"</c>.</summary>
    internal KubernetesStatusException Forbidden(UserInfo user, string reason)
    {
        var scope = string.IsNullOrEmpty(Namespace) ? "at the cluster scope" : $"in the namespace \"{Namespace}\"";
        var why = $"User \"{user.Name}\" cannot {Verb} resource \"{ResourceWithSubresource}\" in API group \"{Group}\" {scope}";
        if (reason.Length > 0) why += ": " + reason;
        var qualified = Group.Length == 0 ? Resource : $"{Resource}.{Group}";
        var subject = Name is null ? qualified : $"{qualified} \"{Name}\"";
        return new KubernetesStatusException(403, "Forbidden", $"{subject} is forbidden: {why}",
            new StatusDetails(Name, Group.Length == 0 ? null : Group, Resource));
    }
}
