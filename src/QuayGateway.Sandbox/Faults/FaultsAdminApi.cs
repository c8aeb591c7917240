namespace QuayGateway.Sandbox.Faults;

/// <summary>
/// The faults over HTTP, on the API server's own address:
/// <list type="bullet">
/// <item><c>GET /sandbox/faults</c>: the current settings.</item>
/// <item><c>PUT /sandbox/faults</c> with any of <c>{"apiErrorRate":0.2,"apiErrorStatusCode":429,"retryAfterSeconds":2,
///   "apiErrorVerbs":["list","watch"],"apiLatencyMs":150}</c>: changes the given settings (<c>apiErrorVerbs: []</c> means all verbs).</item>
/// <item><c>DELETE /sandbox/faults</c>: no faults.</item>
/// <item><c>POST /sandbox/faults/close-watches</c>: ends every open watch now.</item>
/// <item><c>POST /sandbox/faults/expire-next-watches?count=1</c>: the next watches get a 410 Gone ERROR event.</item>
/// </list>
/// </summary>
internal static class FaultsAdminApi
{
    public sealed record FaultSettings(double? ApiErrorRate, int? ApiErrorStatusCode, int? RetryAfterSeconds, string[]? ApiErrorVerbs, int? ApiLatencyMs);

    public static void Map(IEndpointRouteBuilder app, SandboxFaults faults)
    {
        var group = app.MapGroup("/sandbox/faults");
        group.MapGet("", () => TypedResults.Ok(Current(faults)));
        group.MapPut("", (FaultSettings settings) =>
        {
            try
            {
                if (settings.ApiErrorRate is { } rate) faults.ApiErrorRate = rate;
                if (settings.ApiErrorStatusCode is { } code) faults.ApiErrorStatusCode = code;
                if (settings.RetryAfterSeconds is { } retry) faults.RetryAfterSeconds = retry;
                if (settings.ApiErrorVerbs is { } verbs) faults.ApiErrorVerbs = verbs.Length == 0 ? null : verbs.ToHashSet();
                if (settings.ApiLatencyMs is { } latency) faults.ApiLatency = TimeSpan.FromMilliseconds(latency);
            }
            catch (ArgumentOutOfRangeException e)
            {
                return Results.BadRequest(new { error = e.Message });
            }
            return Results.Ok(Current(faults));
        });
        group.MapDelete("", () =>
        {
            faults.Reset();
            return TypedResults.Ok(Current(faults));
        });
        group.MapPost("/close-watches", () =>
        {
            faults.CloseWatches();
            return TypedResults.NoContent();
        });
        group.MapPost("/expire-next-watches", (int? count) =>
        {
            faults.ExpireNextWatches(count ?? 1);
            return TypedResults.NoContent();
        });
    }

    private static FaultSettings Current(SandboxFaults faults) =>
        new(faults.ApiErrorRate, faults.ApiErrorStatusCode, faults.RetryAfterSeconds, faults.ApiErrorVerbs?.Order(StringComparer.Ordinal).ToArray(), (int)faults.ApiLatency.TotalMilliseconds);
}
