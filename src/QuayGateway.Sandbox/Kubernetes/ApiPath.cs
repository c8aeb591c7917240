namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// A resource request path, parsed the way the apiserver reads it:
/// <c>/api/v1[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]</c> and
/// <c>/apis/{group}/{version}[/namespaces/{ns}]/{resource}[/{name}[/{subresource}]]</c>.
/// </summary>
internal sealed record ApiPath(ResourceType Type, string? Namespace, string? Name, string? Subresource)
{
    /// <summary>Null when the path names no resource the sandbox serves (the caller answers 404).</summary>
    public static ApiPath? Parse(string path)
    {
        var segments = path.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        string group, version;
        string[] rest;
        if (segments.Length >= 3 && segments[0] == "api")
        {
            (group, version, rest) = ("", segments[1], segments[2..]);
        }
        else if (segments.Length >= 4 && segments[0] == "apis")
        {
            (group, version, rest) = (segments[1], segments[2], segments[3..]);
        }
        else
        {
            return null;
        }

        string? ns = null;
        if (rest.Length >= 3 && rest[0] == "namespaces" && rest[2] is not ("status" or "finalize"))
        {
            ns = rest[1];
            rest = rest[2..];
        }
        if (rest.Length is 0 or > 3) return null;
        var type = ResourceTypes.Find(group, version, rest[0]);
        if (type is null) return null;
        var name = rest.Length > 1 ? rest[1] : null;
        var subresource = rest.Length > 2 ? rest[2] : null;
        if (type.Namespaced && name is not null && ns is null) return null;
        if (!type.Namespaced && ns is not null) return null;
        if (subresource is not null && !(subresource == "status" && type.HasStatus)) return null;
        return new ApiPath(type, ns, name, subresource);
    }
}
