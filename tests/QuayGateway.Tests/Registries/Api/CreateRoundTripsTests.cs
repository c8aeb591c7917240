using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Registries.Api;

/// <summary>
/// A create sends PostgreSQL one command: the admission's locks and checks, the guarded insert and the commit in one
/// Npgsql batch (one implicit transaction); a claim of a new namespace one more. Counted from Npgsql's own tracing (one
/// activity per command or batch it executes) under the request's span. That counts commands, not every message: a
/// COMMIT of an explicit transaction is no command, so a create that went back to one would also show its BEGIN-led
/// commands as more than one.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class CreateRoundTripsTests(GatewayFixture gateway)
{
    [Fact]
    public async Task A_create_is_one_batch_and_a_claim_of_a_new_namespace_two()
    {
        var finished = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore" or NewRowsWriter.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = finished.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);

        var @namespace = "round-trips-" + Guid.NewGuid().ToString("N")[..8];
        var claim = await CommandsOfCreateAsync(finished, @namespace);
        var create = await CommandsOfCreateAsync(finished, @namespace);

        Assert.True(claim.Count == 2, $"The claim sent {claim.Count} commands: {string.Join(" | ", claim)}");
        Assert.True(create.Count == 1, $"The create sent {create.Count} commands: {string.Join(" | ", create)}");
    }

    /// <summary>The SQL of each command Npgsql executed inside one create's request, but for the cached policy's read.</summary>
    private async Task<List<string>> CommandsOfCreateAsync(ConcurrentQueue<Activity> finished, string @namespace)
    {
        var traceId = ActivityTraceId.CreateRandom();
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/registries")
        {
            Content = System.Net.Http.Json.JsonContent.Create(
                new CreateRegistryRequest("r-" + Guid.NewGuid().ToString("N")[..10], @namespace), options: TestJson.Options),
        };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using (var response = await gateway.Client().SendAsync(request))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        // Server span of the request; the jobs continue its trace later (other spans), so only the commands directly under
        // it count, and those under the create's insert spans (the group writer sends the create's batch).
        var server = await GatewayFixture.EventuallyAsync(
            () => Task.FromResult(finished.FirstOrDefault(a => a.TraceId == traceId && a.Source.Name == "Microsoft.AspNetCore")),
            a => a is not null);
        Assert.NotNull(server);
        var parents = finished.Where(a => a.TraceId == traceId && a.Source.Name == NewRowsWriter.ActivitySourceName)
            .Select(a => a.SpanId).Append(server.SpanId).ToHashSet();
        return [.. finished
            .Where(a => a.Source.Name == "Npgsql" && parents.Contains(a.ParentSpanId))
            // A physical connection the pool opened for this request (a cold pool, e.g. this test running first) is
            // the pool's cost, shared by every later request, not a command of the create.
            .Where(a => !a.DisplayName.StartsWith("CONNECT ", StringComparison.Ordinal))
            .Select(a => (a.GetTagItem("db.query.text") ?? a.GetTagItem("db.statement") ?? a.DisplayName)?.ToString() ?? "")
            // The tenant's policy is read once per CacheFor (5 s) and then cached: not part of every create.
            .Where(sql => !sql.Contains("tenant_policies", StringComparison.Ordinal))];
    }
}
