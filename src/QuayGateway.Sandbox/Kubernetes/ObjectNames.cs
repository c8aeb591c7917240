using System.Text.RegularExpressions;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>The apiserver's name rules: namespaces are RFC 1123 labels, everything else RFC 1123 subdomains.</summary>
internal static partial class ObjectNames
{
    private const string SuffixAlphabet = "bcdfghjklmnpqrstvwxz2456789";

    [GeneratedRegex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")]
    private static partial Regex Label();

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();

    /// <summary>The detail of an Invalid cause for a bad name, or null when the name is fine.</summary>
    public static string? Problem(ResourceType type, string name)
    {
        if (type == ResourceTypes.Namespaces)
        {
            return name.Length <= 63 && Label().IsMatch(name) ? null
                : $"Invalid value: \"{name}\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
        }
        return name.Length <= 253 && Subdomain().IsMatch(name) ? null
            : $"Invalid value: \"{name}\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    }

    /// <summary><c>generateName</c> plus five random characters, as the apiserver does it.</summary>
    public static string Generate(string prefix) =>
        prefix + new string(Enumerable.Range(0, 5).Select(_ => SuffixAlphabet[Random.Shared.Next(SuffixAlphabet.Length)]).ToArray());
}
