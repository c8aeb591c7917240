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

    /// <summary>Throws unless every term of <paramref name="rule"/> has a shape this evaluator knows.</summary>
    public static void EnsureSupported(string rule) => Evaluate(rule, new JsonObject());

    public static bool Evaluate(string rule, JsonObject self)
    {
        // Every term is evaluated, without short-circuit, so an unsupported shape shows whatever the data.
        var disjuncts = rule.Split("||").Select(any => any.Split("&&").Select(term => Term(term.Trim(), rule, self)).ToList()).ToList();
        return disjuncts.Exists(all => all.TrueForAll(t => t));
    }

    private static bool Term(string term, string rule, JsonObject self)
    {
        Match m;
        if ((m = Has().Match(term)).Success)
            return (Lookup(self, m.Groups["path"].Value) is not null) != m.Groups["not"].Success;
        if ((m = Size().Match(term)).Success)
        {
            var size = Lookup(self, m.Groups["path"].Value) switch
            {
                JsonArray a => a.Count,
                JsonObject o => o.Count,
                JsonNode v => v.Str()?.Length ?? 0,
                null => 0,
            };
            var n = int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture);
            return m.Groups["op"].Value switch
            {
                "!=" => size != n,
                "==" => size == n,
                ">=" => size >= n,
                "<=" => size <= n,
                ">" => size > n,
                _ => size < n,
            };
        }
        if ((m = Field().Match(term)).Success)
            return (Lookup(self, m.Groups["path"].Value).Bool() ?? false) != m.Groups["not"].Success;
        throw new NotSupportedException($"the sandbox cannot evaluate the CEL rule \"{rule}\" (term \"{term}\")");
    }

    private static JsonNode? Lookup(JsonObject self, string path)
    {
        JsonNode? node = self;
        foreach (var segment in path.Split('.', StringSplitOptions.RemoveEmptyEntries)) node = (node as JsonObject)?[segment];
        return node;
    }
}
