namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>A parsed <c>labelSelector</c>: <c>a=b, a==b, a!=b, a in (x,y), a notin (x), a, !a</c>, all ANDed.</summary>
internal sealed class LabelSelector
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist }

    private sealed record Requirement(string Key, Op Op, IReadOnlyList<string> Values);

    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static LabelSelector? Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var requirements = new List<Requirement>();
        foreach (var part in SplitTopLevel(text))
        {
            requirements.Add(ParseRequirement(part.Trim(), text));
        }
        return new LabelSelector(requirements);
    }

    public bool Matches(IReadOnlyDictionary<string, string> labels) => _requirements.All(r => r.Op switch
    {
        Op.Equals => labels.TryGetValue(r.Key, out var v) && v == r.Values[0],
        Op.NotEquals => !labels.TryGetValue(r.Key, out var v) || v != r.Values[0],
        Op.In => labels.TryGetValue(r.Key, out var v) && r.Values.Contains(v),
        Op.NotIn => !labels.TryGetValue(r.Key, out var v) || !r.Values.Contains(v),
        Op.Exists => labels.ContainsKey(r.Key),
        _ => !labels.ContainsKey(r.Key),
    });

    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }
        yield return text[start..];
    }

    private static Requirement ParseRequirement(string part, string whole)
    {
        if (part.Length == 0) throw Invalid(whole, "found '', expected: identifier");
        if (part.StartsWith('!')) return new(Key(part[1..].Trim(), whole), Op.DoesNotExist, []);

        var words = part.Split(' ', 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 2 && (words[1].StartsWith("in ", StringComparison.Ordinal) || words[1].StartsWith("in(", StringComparison.Ordinal)))
            return new(Key(words[0], whole), Op.In, SetValues(words[1][2..], whole));
        if (words.Length == 2 && (words[1].StartsWith("notin ", StringComparison.Ordinal) || words[1].StartsWith("notin(", StringComparison.Ordinal)))
            return new(Key(words[0], whole), Op.NotIn, SetValues(words[1][5..], whole));

        foreach (var (token, op) in new[] { ("!=", Op.NotEquals), ("==", Op.Equals), ("=", Op.Equals) })
        {
            var at = part.IndexOf(token, StringComparison.Ordinal);
            if (at > 0) return new(Key(part[..at].Trim(), whole), op, [part[(at + token.Length)..].Trim()]);
        }
        return new(Key(part, whole), Op.Exists, []);
    }

    private static string Key(string key, string whole) =>
        key.Length > 0 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/')
            ? key
            : throw Invalid(whole, $"invalid label key \"{key}\"");

    private static List<string> SetValues(string text, string whole)
    {
        text = text.Trim();
        if (!text.StartsWith('(') || !text.EndsWith(')')) throw Invalid(whole, "found '" + text + "', expected: '('");
        return text[1..^1].Split(',', StringSplitOptions.TrimEntries).ToList();
    }

    private static KubernetesStatusException Invalid(string whole, string why) =>
        KubernetesStatusException.BadRequest($"unable to parse requirement: {why} in selector \"{whole}\"");
}
