using System.Text.RegularExpressions;

namespace QuayGateway.Tenants;

/// <summary>Cluster and namespace patterns: a DNS-1123 label in which <c>*</c> stands for any run of characters.</summary>
public static partial class NamePattern
{
    [GeneratedRegex("^[a-z0-9*]([-a-z0-9*]*[a-z0-9*])?$")]
    private static partial Regex Valid();

    public static bool IsValid(string pattern) => pattern.Length <= 63 && Valid().IsMatch(pattern);

    public static bool Matches(string pattern, string name)
    {
        if (!pattern.Contains('*', StringComparison.Ordinal))
        {
            return string.Equals(pattern, name, StringComparison.Ordinal);
        }

        // Glob by its literal pieces: the first is a prefix, the last a suffix, the others appear in order between.
        var pieces = pattern.Split('*');
        if (!name.StartsWith(pieces[0], StringComparison.Ordinal) || !name.EndsWith(pieces[^1], StringComparison.Ordinal)
            || name.Length < pieces[0].Length + pieces[^1].Length)
        {
            return false;
        }

        var at = pieces[0].Length;
        var end = name.Length - pieces[^1].Length;
        foreach (var piece in pieces[1..^1])
        {
            var found = name.IndexOf(piece, at, end - at, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            at = found + piece.Length;
        }

        return true;
    }
}
