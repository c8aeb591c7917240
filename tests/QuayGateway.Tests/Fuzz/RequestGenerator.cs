using System.Text;
using System.Text.Json.Nodes;

namespace QuayGateway.Tests.Fuzz;

/// <summary>
/// Builds requests for an operation of the document: a schema-valid one on real objects, or one with a single thing
/// wrong (a boundary or type-confused value, an unknown field, a malformed body, an odd header, an odd path).
/// </summary>
public sealed class RequestGenerator(ApiDocument document, SchemaValues values, IdPool ids)
{
    private static readonly string[] Kinds =
        ["valid", "valid", "valid", "boundary", "confused", "unknown-field", "malformed-body", "malformed-body", "headers", "path", "query"];

    private static readonly string[] Accepts =
    [
        "application/json", "application/problem+json", "*/*", "text/html", "application/xml", "text/plain", "image/png",
        "application/json;q=0, text/html", "application/yaml", "garbage", "", "application/json; charset=latin1",
        "text/*;q=0.1, */*;q=0", new string('a', 4000),
    ];

    private static readonly string?[] ContentTypes =
    [
        null, "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=xyz",
        "application/merge-patch+json", "application/problem+json", "application/json;;;", "*/*", "application/", "garbage",
        "application/json; charset=bogus", "application/json; charset=\"utf-8\"", "APPLICATION/JSON", "application/json; charset=utf-16",
        "application/json; charset=iso-8859-1", "application/json; charset=utf-32", "application/jsonx", "text/json",
    ];

    private static readonly string[] OddPathValues =
    [
        "not-a-uuid", "0", "-1", "%00", "a%00b", "%2F", "..%2F..%2Fapi-keys", "%ZZ", "%C3%A9", "%FF%FE", "%E2%80%AE",
        "00000000-0000-0000-0000-000000000000", "{id}", "%7Bid%7D", "%20", "x;y=1", "*", new string('a', 5000),
        "01890a5d-ac96-774b-bcce-b302099a8057", "%ED%A0%80",
    ];

    private static readonly string[] OddQueryValues =
    [
        "", "%00", "a%00b", "%FF%FE", "%ED%A0%80", "%ZZ", "-1", "0", "2147483648", "99999999999999999999", "1.5", "true", "null",
        "%E2%80%AE", "%0D%0A", "%27%20OR%201%3D1", new string('q', 3000),
    ];

    public FuzzRequest Generate(ApiOperation operation, Random random, string auth, IReadOnlyList<KeyValuePair<string, string>> authHeaders)
    {
        var kind = Kinds[random.Next(Kinds.Length)];
        var headers = new List<KeyValuePair<string, string>>(authHeaders);
        var path = BuildPath(operation, random, odd: kind == "path");
        var query = BuildQuery(operation, random, kind);
        foreach (var parameter in operation.Parameters.Where(p => p.In == "header"))
        {
            if (parameter.Required || random.Next(2) == 0)
            {
                headers.Add(new(parameter.Name, HeaderValue(parameter, path, random, odd: kind is "boundary" or "headers")));
            }
        }

        headers.Add(new("Accept", kind == "headers" && random.Next(2) == 0 ? Accepts[random.Next(Accepts.Length)] : "application/json"));
        byte[]? body = null;
        string? contentType = null;
        if (operation.BodySchema is not null || (kind == "malformed-body" && random.Next(4) == 0))
        {
            (body, contentType) = Body(operation, random, kind);
        }

        return new FuzzRequest(operation, operation.Method, path + query, kind, auth, headers, body, contentType);
    }

    /// <summary>A method the path does not have: a 405 problem, never a 5xx.</summary>
    public FuzzRequest WrongMethod(string pathTemplate, Random random, string auth, IReadOnlyList<KeyValuePair<string, string>> authHeaders)
    {
        var taken = document.Operations.Where(o => o.PathTemplate == pathTemplate).Select(o => o.Method).ToHashSet();
        var free = new[] { "GET", "POST", "PUT", "PATCH", "DELETE" }.Where(m => !taken.Contains(m)).ToArray();
        var method = free.Length > 0 ? free[random.Next(free.Length)] : "PUT";
        var path = BuildPath(new ApiOperation(method, pathTemplate, [], null, null), random, odd: false);
        return new FuzzRequest(null, method, path, "wrong-method", auth, [.. authHeaders, new("Accept", "application/json")],
            method is "POST" or "PUT" or "PATCH" ? "{}"u8.ToArray() : null, method is "POST" or "PUT" or "PATCH" ? "application/json" : null);
    }

    private string BuildPath(ApiOperation operation, Random random, bool odd)
    {
        var path = new StringBuilder();
        var segments = operation.PathTemplate.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var oddAt = odd ? random.Next(Math.Max(1, segments.Count(s => s.StartsWith('{')))) : -1;
        var parameterIndex = 0;
        foreach (var segment in segments)
        {
            path.Append('/');
            if (!segment.StartsWith('{'))
            {
                path.Append(segment);
                continue;
            }

            var real = ids.Pick(path.ToString().TrimEnd('/'), random);
            var value = parameterIndex++ == oddAt
                ? OddPathValues[random.Next(OddPathValues.Length)]
                : real is not null && random.Next(8) != 0 ? Uri.EscapeDataString(real) : Guid.NewGuid().ToString();
            path.Length--;
            path.Append('/').Append(value);
        }

        if (odd && random.Next(4) == 0)
        {
            path.Append(random.Next(2) == 0 ? "/" : "//");
        }

        return path.ToString();
    }

    private string BuildQuery(ApiOperation operation, Random random, string kind)
    {
        var pairs = new List<string>();
        var parameters = operation.Parameters.Where(p => p.In == "query").ToList();
        var oddOne = kind is "query" or "boundary" or "confused" && parameters.Count > 0 ? parameters[random.Next(parameters.Count)] : null;
        foreach (var parameter in parameters)
        {
            if (parameter == oddOne)
            {
                var odd = kind switch
                {
                    "boundary" => Text(values.Boundary(parameter.Schema, random)),
                    "confused" => Text(SchemaValues.Confused(document.Resolve(parameter.Schema), random)),
                    _ => null,
                };
                pairs.Add($"{parameter.Name}={(odd is null ? OddQueryValues[random.Next(OddQueryValues.Length)] : Escape(odd))}");
                if (random.Next(4) == 0)
                {
                    pairs.Add($"{parameter.Name}={Escape(Text(values.Valid(parameter.Schema, random, parameter.Name)))}");
                }
            }
            else if (parameter.Required || random.Next(3) == 0)
            {
                var value = parameter.Name.Contains("cursor", StringComparison.OrdinalIgnoreCase)
                    ? ids.Pick("cursor", random) ?? Text(values.Valid(parameter.Schema, random, parameter.Name))
                    : Text(values.Valid(parameter.Schema, random, parameter.Name));
                pairs.Add($"{parameter.Name}={Escape(value)}");
            }
        }

        if (kind == "query" && (parameters.Count == 0 || random.Next(3) == 0))
        {
            pairs.Add($"unknown{random.Next(10)}={OddQueryValues[random.Next(OddQueryValues.Length)]}");
        }

        return pairs.Count == 0 ? "" : "?" + string.Join('&', pairs);
    }

    private string HeaderValue(ApiParameter parameter, string path, Random random, bool odd)
    {
        if (odd)
        {
            return random.Next(6) switch
            {
                0 => "",
                1 => "*",
                2 => new string('k', 5000),
                3 => "W/\"weak\"",
                4 => "\"a\", \"b\", *",
                _ => "é\u00ff",
            };
        }

        if (parameter.Name.Equals("If-Match", StringComparison.OrdinalIgnoreCase))
        {
            return ids.Pick("etag:" + path, random) ?? (random.Next(2) == 0 ? "*" : $"\"{random.Next()}\"");
        }

        // Idempotency keys repeat now and then, so that a replay and a reuse with another body are tried too.
        return random.Next(4) == 0 ? $"fuzz-key-{random.Next(8)}" : Guid.NewGuid().ToString();
    }

    private (byte[]? Body, string? ContentType) Body(ApiOperation operation, Random random, string kind)
    {
        var schema = operation.BodySchema ?? new JsonObject { ["type"] = "object" };
        var json = random.Next(6) == 0 && operation.BodyExample is not null
            ? operation.BodyExample.DeepClone()
            : values.Valid(schema, random);
        switch (kind)
        {
            case "boundary":
            case "confused":
                Mutate(json, random, kind == "boundary"
                    ? s => values.Boundary(s, random)
                    : s => SchemaValues.Confused(document.Resolve(s), random), schema);
                break;
            case "unknown-field" when json is JsonObject obj:
                obj[random.Next(3) == 0 ? "$type" : $"unknownField{random.Next(5)}"] = random.Next(2) == 0 ? "x" : new JsonObject { ["nested"] = 1 };
                break;
            case "malformed-body":
                return MalformedBody(json, random);
            case "headers":
                var odd = ContentTypes[random.Next(ContentTypes.Length)];
                var text = json?.ToJsonString() ?? "null";
                var bytes = odd?.Contains("utf-16", StringComparison.Ordinal) == true ? Encoding.Unicode.GetBytes(text)
                    : odd?.Contains("iso-8859-1", StringComparison.Ordinal) == true ? Encoding.Latin1.GetBytes(text)
                    : odd?.Contains("utf-32", StringComparison.Ordinal) == true ? Encoding.UTF32.GetBytes(text)
                    : Encoding.UTF8.GetBytes(text);
                return (bytes, odd);
        }

        return (Encoding.UTF8.GetBytes(json?.ToJsonString() ?? "null"), "application/json");
    }

    /// <summary>Replaces one value somewhere in the body (or the body itself) with what <paramref name="make"/> gives for its schema.</summary>
    private void Mutate(JsonNode? json, Random random, Func<JsonNode, JsonNode?> make, JsonNode schema)
    {
        var places = new List<(JsonObject Parent, string Key, JsonNode Schema)>();
        Collect(json, schema, places, 0);
        if (places.Count == 0)
        {
            return;
        }

        var (parent, key, propertySchema) = places[random.Next(places.Count)];
        parent[key] = make(propertySchema);
    }

    private void Collect(JsonNode? json, JsonNode schemaRef, List<(JsonObject, string, JsonNode)> places, int depth)
    {
        var schema = document.Resolve(schemaRef);
        if (json is JsonObject obj && depth < 8)
        {
            foreach (var (name, property) in schema["properties"]?.AsObject() ?? [])
            {
                places.Add((obj, name, property!));
                if (obj[name] is { } child)
                {
                    Collect(child, property!, places, depth + 1);
                }
            }
        }
        else if (json is JsonArray array && schema["items"] is { } items)
        {
            foreach (var item in array.Take(3))
            {
                Collect(item, items, places, depth + 1);
            }
        }
    }

    private static (byte[] Body, string? ContentType) MalformedBody(JsonNode? json, Random random)
    {
        var text = json?.ToJsonString() ?? "{}";
        var utf8 = Encoding.UTF8.GetBytes(text);
        const string Json = "application/json";
        return random.Next(16) switch
        {
            // System.Text.Json keeps the last of duplicate keys unless told otherwise; either way not a 500.
            0 when text.StartsWith("{\"", StringComparison.Ordinal) => (Encoding.UTF8.GetBytes("{" + text[1..text.IndexOf(':', StringComparison.Ordinal)] + ":[1,{}]," + text[1..]), Json),
            1 => (utf8[..(utf8.Length / 2)], Json),
            2 => (Encoding.UTF8.GetBytes(new string('[', 70) + new string(']', 70)), Json),
            3 => (Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 5000)) + "1" + new string('}', 5000)), Json),
            4 => (Insert(utf8, random, [0xC3, 0x28]), Json),
            5 => (Insert(utf8, random, [0xFF, 0xFE, 0x00]), Json),
            6 => ([0xEF, 0xBB, 0xBF, .. utf8], Json),
            7 => ([], Json),
            8 => (Encoding.UTF8.GetBytes(new[] { "null", "[]", "0", "\"x\"", "true", "-0", "1e999", "{}" }[random.Next(8)]), Json),
            9 => (Garbage(random), Json),
            10 => (Encoding.UTF8.GetBytes(text.Length > 2 ? text[..^1] + ",}" : "{,}"), Json),
            11 => (Encoding.UTF8.GetBytes("/* comment */" + text.Replace('"', '\'')), Json),
            12 => (Encoding.Unicode.GetBytes(text), "application/json; charset=utf-8"),
            13 => (Encoding.UTF8.GetBytes(text.Replace(":\"", ":\"\u0000\u0001\u001f", StringComparison.Ordinal)), Json),
            // Past the 1 MB body limit: a 413 problem.
            14 when random.Next(8) == 0 => (Encoding.UTF8.GetBytes("{\"x\":\"" + new string('x', 1_100_000) + "\"}"), Json),
            // Escapes JSON allows but text cannot hold: NUL (PostgreSQL rejects it) and a lone surrogate.
            _ => (Encoding.UTF8.GetBytes(text.Replace(":\"", random.Next(2) == 0 ? ":\"\\u0000" : ":\"\\ud800", StringComparison.Ordinal)), Json),
        };
    }

    private static byte[] Insert(byte[] utf8, Random random, byte[] bad)
    {
        var at = utf8.Length == 0 ? 0 : random.Next(utf8.Length);
        return [.. utf8[..at], .. bad, .. utf8[at..]];
    }

    private static byte[] Garbage(Random random)
    {
        var bytes = new byte[random.Next(1, 300)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Text(JsonNode? value) => value switch
    {
        null => "null",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => value.ToJsonString(),
    };

    /// <summary>Percent-encodes a query value; a string .NET cannot encode (a lone surrogate) goes as invalid UTF-8.</summary>
    private static string Escape(string value)
    {
        try
        {
            return Uri.EscapeDataString(value);
        }
        catch (UriFormatException)
        {
            return "%ED%A0%80";
        }
    }
}
