using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace QuayGateway.Sandbox.Kubernetes;

/// <summary>
/// Evaluates the shapes of CEL rule the QuayRegistry CRD uses, read from the CRD at runtime: disjunctions
/// (<c>||</c>) and conjunctions (<c>&amp;&amp;</c>) of <c>[!]self.a.b</c>, <c>[!]has(self.a.b)</c> and
/// <c>self.a.b.size() (!=|==|&gt;|&lt;) N</c>. Anything else is reported as unsupported, so a new rule in a
/// future CRD fails loudly instead of passing silently.
/// </summary>
internal static partial class CelSubset
{
    [GeneratedRegex(@"^(?<not>!)?\s*has\(self(?<path>(\.[A-Za-z_][A-Za-z0-9_]*)+)\)$")]
    private static partial Regex Has();

    [GeneratedRegex(@"^self(?<path>(\.[A-Za-z_][A-Za-z0-9_]*)+)\.size\(\)\s*(?<op>!=|==|>=|<=|>|<)\s*(?<n>\d+)$")]
    private static partial Regex Size();

    [GeneratedRegex(@"^(?<not>!)?\s*self(?<path>(\.[A-Za-z_][A-Za-z0-9_]*)+)$")]
    private static partial Regex Field();

    // Each rule is compiled once: the CRD's rules run on every QuayRegistry write.
    private static readonly ConcurrentDictionary<string, Func<JsonObject, bool>> Compiled = new(StringComparer.Ordinal);

    /// <summary>Throws unless every term of <paramref name="rule"/> has a shape this evaluator knows.</summary>
    public static void EnsureSupported(string rule) => Compiled.GetOrAdd(rule, Compile);

    public static bool Evaluate(string rule, JsonObject self) => Compiled.GetOrAdd(rule, Compile)(self);

    private static Func<JsonObject, bool> Compile(string rule)
    {
        // Every term is compiled, so an unsupported shape fails whatever the data.
        var disjuncts = rule.Split("||").Select(any => any.Split("&&").Select(term => Term(term.Trim(), rule)).ToArray()).ToArray();
        return self =>
        {
            foreach (var all in disjuncts)
            {
                if (Array.TrueForAll(all, t => t(self))) return true;
            }
            return false;
        };
    }

    private static Func<JsonObject, bool> Term(string term, string rule)
    {
        Match m;
        if ((m = Has().Match(term)).Success)
        {
            var (path, not) = (Segments(m), m.Groups["not"].Success);
            return self => (Lookup(self, path) is not null) != not;
        }
        if ((m = Size().Match(term)).Success)
        {
            var path = Segments(m);
            var n = int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture);
            Func<int, bool> compare = m.Groups["op"].Value switch
            {
                "!=" => size => size != n,
                "==" => size => size == n,
                ">=" => size => size >= n,
                "<=" => size => size <= n,
                ">" => size => size > n,
                _ => size => size < n,
            };
            return self => compare(Lookup(self, path) switch
            {
                JsonArray a => a.Count,
                JsonObject o => o.Count,
                JsonNode v => v.Str()?.Length ?? 0,
                null => 0,
            });
        }
        if ((m = Field().Match(term)).Success)
        {
            var (path, not) = (Segments(m), m.Groups["not"].Success);
            return self => (Lookup(self, path).Bool() ?? false) != not;
        }
        throw new NotSupportedException($"the sandbox cannot evaluate the CEL rule \"{rule}\" (term \"{term}\")");
    }

    private static string[] Segments(Match m) => m.Groups["path"].Value.Split('.', StringSplitOptions.RemoveEmptyEntries);

    private static JsonNode? Lookup(JsonObject self, string[] path)
    {
        JsonNode? node = self;
        foreach (var segment in path) node = (node as JsonObject)?[segment];
        return node;
    }
}
