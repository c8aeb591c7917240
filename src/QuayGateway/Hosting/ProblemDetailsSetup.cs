using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;

namespace QuayGateway.Hosting;

/// <summary>Every error is an RFC 9457 problem with a stable type: ours, the framework's, and unexpected ones.</summary>
public static class ProblemDetailsSetup
{
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>Kestrel's own defaults, enforced by the gateway so the refusal is a problem document.</summary>
    public const int MaxUrlLength = 8 * 1024;

    public const int MaxHeaderBytes = 32 * 1024;

    public const int MaxHeaderCount = 100;

    public static WebApplicationBuilder AddGatewayProblemDetails(this WebApplicationBuilder builder)
    {
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            var problem = context.ProblemDetails;
            problem.Status ??= context.HttpContext.Response.StatusCode;
            problem.Type = problem.Type is null || problem.Type.StartsWith("https://tools.ietf.org", StringComparison.Ordinal)
                ? ProblemTypes.ForStatus(problem.Status.Value)
                : problem.Type;
            problem.Instance ??= context.HttpContext.Request.Path;
            if (problem.Status == StatusCodes.Status401Unauthorized && problem.Detail is null)
            {
                problem.Detail = UnauthorizedDetail(context.HttpContext.Request);
            }

            problem.Extensions["traceId"] = context.HttpContext.TraceIdentifier;
        });
        // Whatever the Accept header says, an error is a problem document (the default writer declines unless JSON is
        // acceptable, and the fallbacks are plain text or an empty body).
        builder.Services.AddSingleton<IProblemDetailsWriter, AnyAcceptProblemWriter>();
        builder.Services.AddExceptionHandler<BadRequestExceptionHandler>();
        // Let body-binding failures reach the exception handler with their real message, instead of a bare 400.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            // Kestrel answers its own limits with empty bodies; give it room, and enforce the real limits below, where
            // the answer can be a problem. Only request lines beyond this stay Kestrel's.
            k.Limits.MaxRequestLineSize = 4 * MaxUrlLength;
            k.Limits.MaxRequestHeadersTotalSize = 4 * MaxHeaderBytes;
            k.Limits.MaxRequestHeaderCount = 4 * MaxHeaderCount;
            // Header bytes outside ASCII are read as Latin-1 (RFC 9110's obs-text) rather than refused with Kestrel's
            // empty 400, so the gateway judges the value and answers with a problem (an unknown key, a stale If-Match).
            k.RequestHeaderEncodingSelector = _ => Encoding.Latin1;
        });
        return builder;
    }

    /// <summary>What a 401 tells the caller to send: the header, and whether the key it sent was the problem.</summary>
    internal static string UnauthorizedDetail(HttpRequest request) => request.Headers.ContainsKey("X-Api-Key")
        ? "The API key in the X-Api-Key header is not valid (unknown, expired or revoked). Send a valid key as 'X-Api-Key: <key>'."
        : request.Headers.ContainsKey("Authorization")
            ? "The bearer token in the Authorization header was not accepted. Send a valid token, or an API key as 'X-Api-Key: <key>'."
            : "No credentials were sent. Send an API key in the X-Api-Key header ('X-Api-Key: <key>').";

    public static WebApplication UseGatewayProblemDetails(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        // Kestrel enforces the limit itself (its MaxRequestBodySize feature); behind a server without that feature (the
        // in-memory test server) a counting stream does. Wrapping every body would also cost each request a stream
        // adapter between the server's pipe and the JSON reader.
        app.Use((context, next) =>
        {
            if (OverLimits(context.Request) is { } tooLarge)
            {
                return tooLarge.ExecuteAsync(context);
            }

            if (context.Request.QueryString.HasValue && TextGuard.CheckQuery(context.Request.Query) is { } refused)
            {
                return refused.ExecuteAsync(context);
            }

            if (UnknownCharset(context.Request.ContentType) is { } charset)
            {
                return Problems.Problem(StatusCodes.Status415UnsupportedMediaType, ProblemTypes.ForStatus(StatusCodes.Status415UnsupportedMediaType),
                    "Unsupported media type", $"The charset '{TextGuard.Printable(charset)}' is not one the gateway can read; send UTF-8 JSON.").ExecuteAsync(context);
            }

            UnquoteCharset(context.Request);

            if (context.Request.ContentLength > MaxRequestBodyBytes)
            {
                throw new BadHttpRequestException("Request body too large.", StatusCodes.Status413PayloadTooLarge);
            }

            if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is null)
            {
                context.Request.Body = new LengthLimitedStream(context.Request.Body, MaxRequestBodyBytes);
            }

            return next(context);
        });
        return app;
    }

    /// <summary>A URL or header set over the limits, as the problem to answer with; null when within them.</summary>
    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult? OverLimits(HttpRequest request)
    {
        var url = request.Path.Value?.Length + request.QueryString.Value?.Length ?? 0;
        if (url > MaxUrlLength)
        {
            return Problems.Problem(StatusCodes.Status414UriTooLong, ProblemTypes.UriTooLong, "URI too long",
                $"The path and query are {url} characters; the limit is {MaxUrlLength}.");
        }

        var count = 0;
        var bytes = 0;
        foreach (var (name, values) in request.Headers)
        {
            count += values.Count;
            bytes += name.Length + values.Sum(v => v?.Length ?? 0);
        }

        return count > MaxHeaderCount || bytes > MaxHeaderBytes
            ? Problems.Problem(StatusCodes.Status431RequestHeaderFieldsTooLarge, ProblemTypes.HeadersTooLarge, "Request headers too large",
                $"The request has {count} header values, {bytes} bytes in all; the limits are {MaxHeaderCount} and {MaxHeaderBytes} bytes.")
            : null;
    }

    /// <summary>The charset a Content-Type names when it is empty or unknown (reading the body would throw), else null.</summary>
    private static string? UnknownCharset(string? contentType)
    {
        if (contentType is null)
        {
            return null;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var mediaType))
        {
            return contentType.Contains("charset", StringComparison.OrdinalIgnoreCase) ? "" : null;
        }

        if (!mediaType.Charset.HasValue)
        {
            return null;
        }

        var charset = mediaType.Charset.Value.Trim('"');
        try
        {
            return charset.Length == 0 ? charset : Encoding.GetEncoding(charset) is not null ? null : charset;
        }
        catch (ArgumentException)
        {
            return charset;
        }
    }

    /// <summary>
    /// A charset may be a quoted string (<c>charset="utf-8"</c>, RFC 9110); the framework's JSON reader looks the name up
    /// with its quotes and throws (a 500), so the reader is given the plain name.
    /// </summary>
    private static void UnquoteCharset(HttpRequest request)
    {
        if (request.ContentType is { } contentType && contentType.Contains('"', StringComparison.Ordinal)
            && MediaTypeHeaderValue.TryParse(contentType, out var mediaType) && mediaType.Charset.HasValue
            && mediaType.Charset.Value.StartsWith('"'))
        {
            mediaType.Charset = HeaderUtilities.RemoveQuotes(mediaType.Charset);
            request.ContentType = mediaType.ToString();
        }
    }

    /// <summary>How long a client is asked to wait while PostgreSQL is unreachable.</summary>
    public const int RetryAfterSeconds = 5;

    /// <summary>
    /// Whether the failure is PostgreSQL being out of reach (refused or broken connections, timeouts): Npgsql's transient
    /// errors, however EF Core or Hangfire wrapped them.
    /// </summary>
    public static bool DatabaseUnavailable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is Npgsql.NpgsqlException { IsTransient: true } or Npgsql.NpgsqlException { InnerException: System.Net.Sockets.SocketException or IOException or TimeoutException })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Writes <c>application/problem+json</c> for any request, after the framework's writer declined.</summary>
    private sealed class AnyAcceptProblemWriter(
        Microsoft.Extensions.Options.IOptions<ProblemDetailsOptions> options,
        Microsoft.Extensions.Options.IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json) : IProblemDetailsWriter
    {
        public bool CanWrite(ProblemDetailsContext context) => true;

        public ValueTask WriteAsync(ProblemDetailsContext context)
        {
            var problem = context.ProblemDetails;
            problem.Status ??= context.HttpContext.Response.StatusCode;
            problem.Title ??= Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(problem.Status.Value);
            options.Value.CustomizeProblemDetails?.Invoke(context);
            context.HttpContext.Response.ContentType = "application/problem+json";
            return new ValueTask(JsonSerializer.SerializeAsync(context.HttpContext.Response.Body, problem, problem.GetType(),
                json.Value.SerializerOptions, context.HttpContext.RequestAborted));
        }
    }

    /// <summary>Malformed JSON, wrong content types and oversized bodies: the client's fault, never a 500.</summary>
    private sealed class BadRequestExceptionHandler(IProblemDetailsService problems, ILogger<BadRequestExceptionHandler> logger)
        : IExceptionHandler
    {
        public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
        {
            int status;
            string title;
            string detail;
            switch (exception)
            {
                case BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }:
                    (status, title, detail) = (413, "Payload too large", $"The request body exceeds the limit of {MaxRequestBodyBytes} bytes (1 MiB).");
                    break;
                case BadHttpRequestException bad when BadRequestProblems.For(context, bad) is { } problem:
                    // The client's mistake, said once, without a stack trace.
                    logger.LogInformation("Refused {Method} {Path}: {Reason}", context.Request.Method, context.Request.Path,
                        TextGuard.Printable(bad.InnerException?.Message ?? bad.Message));
                    await problem.ExecuteAsync(context);
                    return true;
                case BadHttpRequestException bad:
                    logger.LogInformation("Refused {Method} {Path}: {Reason}", context.Request.Method, context.Request.Path, TextGuard.Printable(bad.Message));
                    (status, title, detail) = (bad.StatusCode, "Bad request", TextGuard.Printable(bad.Message));
                    break;
                case var outage when DatabaseUnavailable(outage):
                    // An outage, not a bug: the client should come back, and /readyz says the same to the platform.
                    logger.LogWarning("PostgreSQL is unreachable for {Method} {Path}: {Reason}", context.Request.Method, context.Request.Path,
                        exception.GetBaseException().Message);
                    context.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    (status, title, detail) = (503, "Service unavailable", "The gateway's database cannot be reached; retry after the time in Retry-After.");
                    break;
                default:
                    logger.LogError(exception, "Unhandled exception for {Method} {Path}", context.Request.Method, context.Request.Path);
                    (status, title, detail) = (500, "Internal error", "The gateway failed to handle the request; the trace id identifies it in the logs.");
                    break;
            }

            context.Response.StatusCode = status;
            return await problems.TryWriteAsync(new ProblemDetailsContext
            {
                HttpContext = context,
                Exception = exception,
                ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail, Type = ProblemTypes.ForStatus(status) },
            });
        }
    }
}
