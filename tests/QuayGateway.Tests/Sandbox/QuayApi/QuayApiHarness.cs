using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using QuayGateway.Sandbox.Faults;
using QuayGateway.Sandbox.QuayApi;
using YamlDotNet.RepresentationModel;

namespace QuayGateway.Tests.Sandbox.QuayApi;

internal sealed record QuayReply(int Status, string ContentType, string Body, IHeaderDictionary Headers)
{
    public JsonNode? Json => JsonNode.Parse(Body);
}

/// <summary>Drives <see cref="QuayApiSimulator"/> in-process, one request at a time, with an advanceable clock.</summary>
internal sealed class QuayApiHarness
{
    public const string Host = "example-registry-quay-quay-enterprise.apps.sandbox.quaygateway.local";

    public QuayApiHarness(string configYaml = "FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n")
    {
        Simulator = new QuayApiSimulator(Clock, Faults);
        Simulator.Open("quay-enterprise/example-registry", [Host], Config(configYaml));
    }

    public SandboxClock Clock { get; } = new();

    public QuayApiFaults Faults { get; } = new();

    public QuayApiSimulator Simulator { get; }

    public static QuayConfig Config(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        return QuayConfig.From(root.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value!, c => c.Value));
    }

    public Task<QuayReply> Post(string path, object? body, string? token = null, string host = Host) =>
        Send("POST", path, body is null ? null : (body as JsonNode ?? JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(body))), token, host);

    public Task<QuayReply> Get(string path, string? token = null, string host = Host) => Send("GET", path, null, token, host);

    public async Task<QuayReply> Send(string method, string pathAndQuery, JsonNode? body, string? token, string host, CancellationToken aborted = default)
    {
        var context = new DefaultHttpContext();
        var split = pathAndQuery.Split('?', 2);
        context.Request.Method = method;
        context.Request.Scheme = "http";
        context.Request.Host = new HostString(host);
        context.Request.Path = split[0];
        context.Request.QueryString = split.Length > 1 ? new QueryString("?" + split[1]) : QueryString.Empty;
        context.RequestAborted = aborted;
        if (token is not null)
        {
            context.Request.Headers.Authorization = "Bearer " + token;
        }

        if (body is not null)
        {
            context.Request.ContentType = "application/json";
            context.Request.Body = new MemoryStream(Encoding.UTF8.GetBytes(body.ToJsonString()));
        }

        var response = new MemoryStream();
        context.Response.Body = response;
        await Simulator.HandleAsync(context);
        return new QuayReply(context.Response.StatusCode, context.Response.ContentType ?? "",
            Encoding.UTF8.GetString(response.ToArray()), context.Response.Headers);
    }

    /// <summary>Initializes quayadmin with a token, as the source document does.</summary>
    public async Task<string> InitializeAdmin()
    {
        var reply = await Post("/api/v1/user/initialize",
            new { username = "quayadmin", password = "quaypass123", email = "quayadmin@example.com", access_token = true });
        Assert.Equal(200, reply.Status);
        return reply.Json!["access_token"]!.GetValue<string>();
    }

    public static JsonObject WireExamples() => (JsonObject)JsonNode.Parse(File.ReadAllText(ReferencePath("wire-examples.json")))!;

    private static string ReferencePath(string file, [CallerFilePath] string here = "") =>
        Path.Combine(Path.GetDirectoryName(here)!, "Reference", file);
}
