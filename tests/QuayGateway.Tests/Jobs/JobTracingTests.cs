using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using QuayGateway.Jobs;
using QuayGateway.Registries.Api;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Jobs;

/// <summary>A Hangfire job runs in a span that continues the trace of the request that enqueued it.</summary>
[Collection(GatewayCollection.Name)]
public sealed class JobTracingTests(GatewayFixture gateway)
{
    [Fact]
    public async Task The_apply_job_span_continues_the_request_trace()
    {
        var finished = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == JobTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = finished.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var traceId = ActivityTraceId.CreateRandom();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/registries")
        {
            Content = System.Net.Http.Json.JsonContent.Create(
                CreateRegistry.Example with { Name = "trace-check", Namespace = "trace-check" }, options: TestJson.Options),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using (var response = await gateway.Client().SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var span = await GatewayFixture.EventuallyAsync(
            // The request enqueues the apply job and, through the outbox, the webhook dispatcher: both continue its trace.
            () => Task.FromResult(finished.FirstOrDefault(a => a.TraceId == traceId
                                                               && a.DisplayName == $"{nameof(IApplyRegistryJob)}.RunAsync")),
            a => a is not null);
        Assert.NotNull(span);
        Assert.Equal(ActivityKind.Consumer, span.Kind);
        Assert.NotNull(span.GetTagItem("job.id"));
    }
}
