using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Security;

namespace QuayGateway.Tests.Fuzz;

/// <summary>
/// A fuzz campaign against a running gateway: mints a key for every combination of scopes (through the API, with the
/// admin key), creates real objects from the document's request examples, then sends <c>requests</c> requests over
/// every operation × auth variant, round-robin, each made by a generator seeded from (seed, request number).
/// </summary>
public sealed class FuzzCampaign(ApiDocument document, string url, string adminKey)
{
    public const string Tenant = "fuzz";
    private const string OtherTenant = "fuzz-other";

    /// <summary>An answer to every request, or the request is reported as a hang; generous, not a timing assertion.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(60);

    private readonly IdPool _ids = new();
    private readonly HashSet<string> _ownKeyIds = [];
    private readonly List<(string Name, KeyValuePair<string, string>[] Headers)> _auths = [];

    public async Task<FuzzReport> RunAsync(int requests, int seed, int workers = 8, Action<string>? log = null)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false, MaxConnectionsPerServer = workers * 2,
            // Header values outside ASCII go as their Latin-1 bytes (HttpClient refuses them otherwise).
            RequestHeaderEncodingSelector = (_, _) => Encoding.Latin1,
        })
        {
            BaseAddress = new Uri(url), Timeout = HangGuard,
        };
        var clock = Stopwatch.StartNew();
        await MintKeysAsync(http);
        var report = new FuzzReport();
        var values = new SchemaValues(document);
        var generator = new RequestGenerator(document, values, _ids);
        await CreateExamplesAsync(http, report);
        log?.Invoke($"{_auths.Count} auth variants, {document.Operations.Count} operations, {_ids.Count} ids after setup ({clock.Elapsed.TotalSeconds:F1} s)");

        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(async _ =>
        {
            for (var i = Interlocked.Increment(ref next); i < requests; i = Interlocked.Increment(ref next))
            {
                var random = new Random(HashCode.Combine(seed, i));
                var (auth, headers) = _auths[i / document.Operations.Count % _auths.Count];
                // One step in 40 also sends a method its path does not have; the operation's own request still goes, so
                // every operation meets every auth variant.
                if (random.Next(40) == 0)
                {
                    await SendAndCheckAsync(http, generator.WrongMethod(document.Paths[random.Next(document.Paths.Count)], random, auth, headers), report);
                }

                await SendAndCheckAsync(http, generator.Generate(document.Operations[i % document.Operations.Count], random, auth, headers), report);
            }
        }));
        report.Elapsed = clock.Elapsed;
        return report;
    }

    private async Task MintKeysAsync(HttpClient http)
    {
        _auths.Add(("none", []));
        _auths.Add(("unknown-key", [new(ApiKeyAuthenticationHandler.Header, "qgw_" + new string('0', 40))]));
        _auths.Add(("bearer-garbage", [new("Authorization", "Bearer eyJhbGciOiJub25lIn0.eyJzY29wZSI6ImFkbWluIn0.")]));
        _auths.Add(("bootstrap-admin", [new(ApiKeyAuthenticationHandler.Header, adminKey)]));
        var scopes = Scopes.All;
        for (var mask = 1; mask < 1 << scopes.Count; mask++)
        {
            var set = scopes.Where((_, bit) => (mask & (1 << bit)) != 0).ToArray();
            _auths.Add(($"scopes:{string.Join('+', set)}", [new(ApiKeyAuthenticationHandler.Header, await MintAsync(http, Tenant, set))]));
        }

        _auths.Add(($"{OtherTenant}:all", [new(ApiKeyAuthenticationHandler.Header, await MintAsync(http, OtherTenant, [.. scopes]))]));
    }

    private async Task<string> MintAsync(HttpClient http, string tenant, string[] scopes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/api-keys")
        {
            Content = JsonContent.Create(new { name = $"fuzz-{string.Join('-', scopes)}", scopes, tenant }),
        };
        request.Headers.Add(ApiKeyAuthenticationHandler.Header, adminKey);
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Minting a key with {string.Join(',', scopes)} failed: {(int)response.StatusCode} {body}");
        }

        var created = JsonNode.Parse(body)!;
        _ownKeyIds.Add((string)created["id"]!);
        return (string)created["key"]!;
    }

    /// <summary>Real objects to aim at: every create in the document (an operation with a body example and no path parameter) sent twice as its example, with all scopes.</summary>
    private async Task CreateExamplesAsync(HttpClient http, FuzzReport report)
    {
        var all = _auths.Single(a => a.Name == $"scopes:{string.Join('+', Scopes.All)}");
        var random = new Random(1);
        foreach (var operation in document.Operations.Where(o => o is { Method: "POST", BodyExample: not null } && !o.PathTemplate.Contains('{', StringComparison.Ordinal)))
        {
            for (var copy = 0; copy < 2; copy++)
            {
                var body = operation.BodyExample!.DeepClone();
                if (body["name"] is JsonValue name)
                {
                    body["name"] = $"{name}-{copy}-{random.Next(100_000):x}";
                }

                if (body["tenant"] is not null)
                {
                    body["tenant"] = Tenant;
                }

                await SendAndCheckAsync(http, new FuzzRequest(operation, "POST", operation.PathTemplate, "setup", all.Name,
                    [.. all.Headers, new("Accept", "application/json")], Encoding.UTF8.GetBytes(body.ToJsonString()), "application/json"), report);
            }
        }
    }

    private async Task SendAndCheckAsync(HttpClient http, FuzzRequest request, FuzzReport report)
    {
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.PathAndQuery);
        foreach (var (name, value) in request.Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (request.Body is not null)
        {
            message.Content = new ByteArrayContent(request.Body);
            // A body over the gateway's limit is refused (413) before it is read, and the connection closed; a client
            // that keeps sending meets a broken pipe instead of the answer. HTTP's way is to ask first, as curl does.
            if (request.Body.Length > QuayGateway.Hosting.ProblemDetailsSetup.MaxRequestBodyBytes)
            {
                message.Headers.ExpectContinue = true;
            }
            if (request.ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", request.ContentType);
            }
        }

        HttpResponseMessage response;
        string body;
        try
        {
            response = await http.SendAsync(message);
            body = await response.Content.ReadAsStringAsync();
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            report.Count(request, 0);
            FuzzReport.Keep(report.NoAnswers, $"{request}\n  => no answer: {e.GetType().Name}: {e.Message} {e.InnerException?.Message} {e.InnerException?.InnerException?.Message}");
            return;
        }

        using (response)
        {
            var status = (int)response.StatusCode;
            report.Count(request, status);
            var contentType = response.Content.Headers.ContentType?.ToString();
            var answer = $"{request}\n  => {status} {contentType}: {(body.Length > 500 ? body[..500] + "…" : body)}";
            if (status >= 500 && !UpstreamRefused(status, body))
            {
                FuzzReport.Keep(report.ServerErrors, answer);
            }

            if (status >= 400 && !IsProblem(contentType, body) && !KestrelRefusesRequestLine(request, status, body))
            {
                FuzzReport.Keep(report.NotProblems, answer);
            }

            if (status is >= 200 and < 300 && request.Operation is { } operation)
            {
                Interlocked.Increment(ref report.SuccessesChecked);
                var headers = response.Headers.Concat(response.Content.Headers)
                    .ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);
                foreach (var violation in Infrastructure.OpenApiValidator.Check(document.Root, operation.PathTemplate,
                             operation.Method, status, contentType, body, headers))
                {
                    report.AddSchemaViolation(violation, request);
                }

                Harvest(request, response, body);
            }
        }
    }

    /// <summary>
    /// The one answer that may stay Kestrel's: a request line it refuses before any middleware runs, with an empty 400.
    /// A percent-encoded NUL in the path (<c>/v1/registries/%00</c>) is one: Kestrel decodes the path while parsing the
    /// request line and rejects a NUL in it as an invalid request target, so the gateway never sees the request.
    /// The other is a request line longer than Kestrel's limit (4 × the gateway's 8 KiB URL limit, which the gateway
    /// answers itself with a 414 problem; see ProblemDetailsSetup): Kestrel answers an empty 414 while reading the line.
    /// Only these are excused: a NUL in the query, or an empty 4xx for anything else, still fails.
    /// </summary>
    private static bool KestrelRefusesRequestLine(FuzzRequest request, int status, string body) =>
        body.Length == 0 && status switch
        {
            400 => request.PathAndQuery.Split('?')[0].Contains("%00", StringComparison.Ordinal),
            414 => request.PathAndQuery.Length > 4 * global::QuayGateway.Hosting.ProblemDetailsSetup.MaxUrlLength,
            _ => false,
        };

    private static bool IsProblem(string? contentType, string body)
    {
        if (contentType?.Split(';')[0].Trim() != "application/problem+json")
        {
            return false;
        }

        try
        {
            return JsonNode.Parse(body) is JsonObject problem && (string?)problem["type"] is { Length: > 0 };
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }

    /// <summary>Remembers ids, ETags and cursors of real objects, by the concrete path of their collection.</summary>
    private void Harvest(FuzzRequest request, HttpResponseMessage response, string body)
    {
        var path = request.PathAndQuery.Split('?')[0];
        var template = request.Operation!.PathTemplate;
        var collection = template.EndsWith('}') ? path[..path.LastIndexOf('/')] : path;
        if (response.Headers.ETag is { } etag)
        {
            _ids.Add("etag:" + (template.EndsWith('}') ? path : response.Headers.Location?.OriginalString ?? path), etag.ToString());
        }

        if (response.Headers.Location is { } location && !location.IsAbsoluteUri && location.OriginalString.LastIndexOf('/') is > 0 and var slash)
        {
            Remember(location.OriginalString[..slash], location.OriginalString[(slash + 1)..]);
        }

        JsonNode? json;
        try
        {
            json = JsonNode.Parse(body);
        }
        catch (System.Text.Json.JsonException)
        {
            return;
        }

        if (json is JsonObject one)
        {
            RememberObject(collection, one, request.Method == "POST");
            foreach (var (key, value) in one)
            {
                if (key.Contains("cursor", StringComparison.OrdinalIgnoreCase) && (string?)value is { } cursor)
                {
                    _ids.Add("cursor", cursor);
                }

                if (value is JsonArray items)
                {
                    foreach (var item in items.OfType<JsonObject>())
                    {
                        RememberObject(path, item, byName: false);
                    }
                }
            }
        }
        else if (json is JsonArray list)
        {
            foreach (var item in list.OfType<JsonObject>())
            {
                RememberObject(path, item, byName: false);
            }
        }
    }

    private void RememberObject(string collection, JsonObject item, bool byName)
    {
        if (item["id"] is JsonValue id)
        {
            Remember(collection, id.ToString());
        }
        else if (byName && (string?)item["name"] is { } name)
        {
            Remember(collection, name);
        }
    }

    private void Remember(string collection, string id)
    {
        // The campaign's own keys stay: revoking them would turn the rest of the run into 401s.
        if (!_ownKeyIds.Contains(id))
        {
            _ids.Add(collection, id);
        }
    }

    /// <summary>
    /// A 502 <c>quay-unreachable</c> is the contract's answer when the registry's Quay cannot be reached (DESIGN's
    /// problem list), not a gateway fault. The campaign's own PATCH and DELETE requests take Quay hosts away under
    /// registries the gateway still has as Available, so it meets that answer honestly; anything else 5xx counts.
    /// </summary>
    private static bool UpstreamRefused(int status, string body) =>
        status == 502 && body.Contains("\"type\":\"https://quaygateway.dev/problems/quay-unreachable\"", StringComparison.Ordinal);
}
