using System.Net;
using System.Net.Sockets;
using QuayGateway.Quay;

namespace QuayGateway.Tests.Quay;

/// <summary>The gateway's Quay client against a counting HTTP server: reads are retried, writes never are.</summary>
public sealed class QuayClientResilienceTests : IDisposable
{
    private readonly HttpListener _server;
    private readonly Uri _url;
    private int _requests;

    public QuayClientResilienceTests()
    {
        _server = StartServer(out _url);
    }

    private static HttpListener StartServer(out Uri url)
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        url = new Uri($"http://127.0.0.1:{port}/");
        var server = new HttpListener();
        server.Prefixes.Add(url.ToString());
        server.Start();
        return server;
    }

    /// <summary>Answers every request with the status, counting them.</summary>
    private async Task ServeAsync(int status, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            var context = await _server.GetContextAsync().WaitAsync(ct);
            Interlocked.Increment(ref _requests);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.OutputStream.WriteAsync("{\"error\":\"down\"}"u8.ToArray(), ct);
            context.Response.Close();
        }
    }

    private readonly DirectQuayClient _direct = new();

    private QuayClient Client() => _direct.Client;

    [Fact]
    public async Task A_failing_read_is_retried_twice()
    {
        using var stop = new CancellationTokenSource();
        var serving = ServeAsync(503, stop.Token);

        var answer = await Client().ListSuperusersAsync(new QuayTarget(DirectQuayClient.Cluster, _url), "TOKEN", CancellationToken.None);

        Assert.Equal((503, 3), (answer.Status, _requests));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving);
    }

    [Theory]
    [InlineData("initialize")]
    [InlineData("organization")]
    public async Task A_failing_write_is_sent_once(string call)
    {
        using var stop = new CancellationTokenSource();
        var serving = ServeAsync(503, stop.Token);
        var target = new QuayTarget(DirectQuayClient.Cluster, _url);
        var client = Client();

        var answer = call == "initialize"
            ? await client.InitializeUserAsync(target, "quayadmin", "quaypass123", "quayadmin@example.com", CancellationToken.None)
            : await client.CreateOrganizationAsync(target, "TOKEN", "testorg", null, CancellationToken.None);

        Assert.Equal((503, 1), (answer.Status, _requests));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => serving);
    }

    public void Dispose()
    {
        _server.Close();
        _direct.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
