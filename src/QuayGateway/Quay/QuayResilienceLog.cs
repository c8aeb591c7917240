using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;
using Polly.Telemetry;

namespace QuayGateway.Quay;

/// <summary>
/// What the Quay client's resilience pipeline tells an operator: one Warning line per retried read and one when a
/// Quay's circuit opens, each with the reason and no stack trace. Polly's own lines carry every failed attempt's
/// exception with its stack, the last one at Error, for what is an expected refusal of a failing Quay; they are
/// lowered to Information, which the default <c>"Polly": "Warning"</c> level hides and which turning it up shows.
/// </summary>
public static class QuayResilienceLog
{
    public static void LowerPollySeverity(TelemetryOptions options) =>
        options.SeverityProvider = args => args.Event.Severity is ResilienceEventSeverity.None or ResilienceEventSeverity.Debug
            ? args.Event.Severity
            : ResilienceEventSeverity.Information;

    public static void Configure(HttpStandardResilienceOptions options, IServiceProvider services)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(QuayClient).FullName!);
        options.Retry.OnRetry = args =>
        {
            LogRetry(logger, args);
            return ValueTask.CompletedTask;
        };
        options.CircuitBreaker.OnOpened = args =>
        {
            var request = args.Context.GetRequestMessage();
            logger.LogWarning("Quay at {Authority} keeps failing ({Reason}); its calls are refused for {BreakSeconds} s",
                request?.RequestUri?.Authority, Reason(args.Outcome), (int)args.BreakDuration.TotalSeconds);
            return ValueTask.CompletedTask;
        };
    }

    private static void LogRetry(ILogger logger, OnRetryArguments<HttpResponseMessage> args)
    {
        var request = args.Context.GetRequestMessage();
        logger.LogWarning("Quay read {Method} {Authority}{Path} attempt {Attempt} failed ({Reason}); retrying in {DelayMs} ms",
            request?.Method, request?.RequestUri?.Authority, request?.RequestUri?.AbsolutePath, args.AttemptNumber + 1, Reason(args.Outcome),
            (int)args.RetryDelay.TotalMilliseconds);
    }

    /// <summary>The outcome in a few words: the status Quay answered, or the exception's type and first message.</summary>
    private static string Reason(Outcome<HttpResponseMessage> outcome) => outcome.Exception switch
    {
        null => $"HTTP {(int?)outcome.Result?.StatusCode}",
        var e => $"{e.GetType().Name}: {e.Message.Split('\n')[0].Trim()}",
    };
}
