using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Webhooks;

/// <summary>
/// A real HTTP receiver (Kestrel on 127.0.0.1, a free port) that records every request and answers what the test
/// tells it to, by request number. The gateway reaches it over real sockets, through its SSRF guard. Linked into the
/// benchmarks too (the chaos suite's receiver).
/// </summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private readonly ConcurrentQueue<ReceivedRequest> _requests = new();
    private readonly Func<ReceivedRequest, int, ReceiverAnswer> _answer;
    private WebApplication _app = null!;
    private int _count;

    private WebhookReceiver(Func<ReceivedRequest, int, ReceiverAnswer> answer) => _answer = answer;

    /// <summary>The base URL, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; private set; } = "";

    public IReadOnlyList<ReceivedRequest> Requests => [.. _requests];

    /// <summary>Starts a receiver; <paramref name="answer"/> gets each request and its 1-based number.</summary>
    public static async Task<WebhookReceiver> StartAsync(Func<ReceivedRequest, int, ReceiverAnswer>? answer = null)
    {
        var receiver = new WebhookReceiver(answer ?? ((_, _) => ReceiverAnswer.Ok));
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        builder.Logging.ClearProviders();
        receiver._app = builder.Build();
        ((IApplicationBuilder)receiver._app).Run(receiver.HandleAsync);
        await receiver._app.StartAsync();
        var addresses = receiver._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        receiver.Url = addresses.Single().Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        return receiver;
    }

    /// <summary>Waits until at least <paramref name="count"/> requests have arrived (or 30 s passed).</summary>
    public async Task<IReadOnlyList<ReceivedRequest>> WaitForAsync(int count, TimeSpan? timeout = null) =>
        await Poll.UntilAsync(() => Task.FromResult(Requests), r => r.Count >= count, timeout ?? TimeSpan.FromSeconds(30));

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body);
        var body = await reader.ReadToEndAsync();
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString());
        var request = new ReceivedRequest(context.Request.Method, context.Request.Path + context.Request.QueryString, headers, body, DateTimeOffset.UtcNow);
        var number = Interlocked.Increment(ref _count);
        var answer = _answer(request, number);
        _requests.Enqueue(request);
        context.Response.StatusCode = answer.Status;
        foreach (var (name, value) in answer.Headers ?? new Dictionary<string, string>())
        {
            context.Response.Headers[name] = value;
        }

        if (answer.Body is not null)
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer.Body);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record ReceivedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At)
{
    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;
}

public sealed record ReceiverAnswer(int Status, string? Body = null, IReadOnlyDictionary<string, string>? Headers = null)
{
    public static readonly ReceiverAnswer Ok = new(200);
}
