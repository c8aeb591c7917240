using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// Under Kestrel the body limit is Kestrel's own (the in-memory test server gets a counting stream instead): an
/// oversized body is a 413 problem whether it announces its length or is chunked.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class KestrelBodyLimitTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_real_server_answers_413_to_an_oversized_body_with_or_without_a_length()
    {
        await using var process = await GatewayProcess.StartAsync(gateway.ConnectionString, GatewayFixture.AdminKey,
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false");
        using var http = new HttpClient { BaseAddress = new Uri(process.Url) };
        http.DefaultRequestHeaders.Add("X-Api-Key", GatewayFixture.AdminKey);
        // A real server answers an announced oversized body before reading it; the client must wait for that answer.
        http.DefaultRequestHeaders.ExpectContinue = true;
        var big = "{\"name\":\"big\",\"namespace\":\"ns\",\"configBundle\":{\"config.yaml\":\"" + new string('x', 1024 * 1024 + 10) + "\"}}";

        using var withLength = await http.PostAsync("/v1/registries", new StringContent(big, Encoding.UTF8, "application/json"));
        using var chunked = await http.PostAsync("/v1/registries", new ChunkedContent(big) { Headers = { ContentType = new("application/json") } });
        using var small = await http.PostAsJsonAsync("/v1/registries", new { name = "small-" + Guid.NewGuid().ToString("N")[..8], @namespace = "limits" });

        foreach (var response in new[] { withLength, chunked })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("https://quaygateway.dev/problems/payload-too-large", (string?)problem["type"]);
        }

        Assert.Equal(HttpStatusCode.Accepted, small.StatusCode);
    }

    /// <summary>A body without Content-Length, sent with chunked transfer encoding.</summary>
    [Fact]
    public async Task A_real_server_answers_an_over_long_url_or_header_set_with_a_problem()
    {
        await using var process = await GatewayProcess.StartAsync(gateway.ConnectionString, GatewayFixture.AdminKey,
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false");
        using var http = new HttpClient { BaseAddress = new Uri(process.Url) };
        http.DefaultRequestHeaders.Add("X-Api-Key", GatewayFixture.AdminKey);

        using var longUrl = await http.GetAsync("/v1/registries?namespace=" + new string('a', 10_000));
        using var bigHeader = new HttpRequestMessage(HttpMethod.Get, "/v1/registries");
        bigHeader.Headers.TryAddWithoutValidation("X-Padding", new string('b', 40_000));
        using var bigHeaders = await http.SendAsync(bigHeader);
        using var manyHeader = new HttpRequestMessage(HttpMethod.Get, "/v1/registries");
        for (var i = 0; i < 150; i++)
        {
            manyHeader.Headers.TryAddWithoutValidation($"X-Many-{i}", "x");
        }

        using var manyHeaders = await http.SendAsync(manyHeader);

        foreach (var (response, status, type) in new[]
                 {
                     (longUrl, HttpStatusCode.RequestUriTooLong, "uri-too-long"),
                     (bigHeaders, HttpStatusCode.RequestHeaderFieldsTooLarge, "headers-too-large"),
                     (manyHeaders, HttpStatusCode.RequestHeaderFieldsTooLarge, "headers-too-large"),
                 })
        {
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            Assert.Equal("https://quaygateway.dev/problems/" + type, (string?)JsonNode.Parse(text)!["type"]);
        }
    }

    /// <summary>
    /// Found by the fuzzer: Kestrel refused a header value with bytes outside ASCII (If-Match: éÿ) with an empty 400 before
    /// the gateway saw it. Read as Latin-1 (RFC 9110's obs-text), such a value reaches the gateway, which answers with a problem.
    /// </summary>
    [Fact]
    public async Task A_real_server_answers_a_header_value_outside_ascii_with_a_problem()
    {
        await using var process = await GatewayProcess.StartAsync(gateway.ConnectionString, GatewayFixture.AdminKey,
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Jobs:Server=false", "--Gateway:Watch:Enabled=false");
        using var http = new HttpClient(new SocketsHttpHandler { RequestHeaderEncodingSelector = (_, _) => Encoding.Latin1 })
        {
            BaseAddress = new Uri(process.Url),
        };

        using var ifMatch = new HttpRequestMessage(HttpMethod.Delete, $"/v1/registries/{Guid.NewGuid()}");
        ifMatch.Headers.TryAddWithoutValidation("X-Api-Key", GatewayFixture.AdminKey);
        ifMatch.Headers.TryAddWithoutValidation("If-Match", "\"\u00e9\u00ff\"");
        using var apiKey = new HttpRequestMessage(HttpMethod.Get, "/v1/registries");
        apiKey.Headers.TryAddWithoutValidation("X-Api-Key", "qgw_\u00e9");

        foreach (var (request, status) in new[] { (ifMatch, HttpStatusCode.NotFound), (apiKey, HttpStatusCode.Unauthorized) })
        {
            using var response = await http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
    }

    private sealed class ChunkedContent(string text) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            stream.WriteAsync(Encoding.UTF8.GetBytes(text)).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
