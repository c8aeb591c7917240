using Microsoft.Extensions.Configuration.Memory;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace QuayGateway.Hosting;

/// <summary>Metrics at <c>/metrics</c> (Prometheus), traces over OTLP when configured, and structured logs.</summary>
public static class TelemetrySetup
{
    public const string ServiceName = "quay-gateway";
    public const string MetricsPath = "/metrics";

    /// <summary>OTLP endpoint for traces; <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> works too. Neither set: no tracing.</summary>
    /// <summary>The meter of the gateway's own instruments; each feature creates its instruments on it.</summary>
    public const string MeterName = "QuayGateway";

    public const string OtlpEndpointSetting = "Gateway:Telemetry:OtlpEndpoint";

    public static WebApplicationBuilder AddGatewayTelemetry(this WebApplicationBuilder builder)
    {
        builder.AddGatewayLogging();

        builder.Services.AddSingleton(TimeProvider.System);
        var otel = builder.Services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName))
            .WithMetrics(m => m
                // ASP.NET Core's own meters (http.server.request.duration and the rest, error.type included) without
                // the instrumentation package's extra middleware around every request.
                .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Routing",
                    "Microsoft.AspNetCore.Diagnostics")
                .AddHttpClientInstrumentation()
                .AddMeter(MeterName, "System.Runtime")
                .AddPrometheusExporter());

        var endpoint = builder.Configuration[OtlpEndpointSetting];
        if (!string.IsNullOrWhiteSpace(endpoint) || !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            // Traces only when someone collects them: an unexported span is pure overhead.
            otel.WithTracing(t => t
                // The gateway's own activity sources (the job system's among them) are named QuayGateway.*.
                .AddSource(MeterName + ".*")
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !IsOperationsPath(context.Request.Path))
                .AddHttpClientInstrumentation()
                .AddEntityFrameworkCoreInstrumentation()
                // With only the OTEL_* variables set, the exporter reads them itself (endpoint, protocol, headers).
                .AddOtlpExporter(o =>
                {
                    if (!string.IsNullOrWhiteSpace(endpoint))
                    {
                        o.Endpoint = new Uri(endpoint);
                    }
                }));
        }

        return builder;
    }

    /// <summary><c>/metrics</c>: anonymous (the fallback policy would demand a key), scraped by Prometheus.</summary>
    public static IEndpointRouteBuilder MapGatewayMetrics(this IEndpointRouteBuilder app)
    {
        app.MapPrometheusScrapingEndpoint(MetricsPath).AllowAnonymous().DisableRateLimiting();
        return app;
    }

    /// <summary>
    /// JSON console logs outside Development (one object per line for the log pipeline), readable ones in Development.
    /// Nothing logs request headers or bodies (no HTTP logging middleware) and EF Core's sensitive-data logging stays
    /// off, so API keys, tokens, passwords and connection strings never reach a log.
    /// </summary>
    private static void AddGatewayLogging(this WebApplicationBuilder builder)
    {
        // Defaults below every other source, so Logging__LogLevel__* in the environment still wins.
        builder.Configuration.Sources.Insert(0, new MemoryConfigurationSource
        {
            InitialData = new Dictionary<string, string?>
            {
                ["Logging:LogLevel:Default"] = "Information",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
                ["Logging:LogLevel:Microsoft.EntityFrameworkCore.Database.Command"] = "Warning",
            },
        });
        builder.Logging.ClearProviders();
        if (builder.Environment.IsDevelopment())
        {
            builder.Logging.AddSimpleConsole(o => o.TimestampFormat = "HH:mm:ss ");
        }
        else
        {
            builder.Logging.AddJsonConsole(o =>
            {
                o.IncludeScopes = true;
                o.UseUtcTimestamp = true;
                o.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
            });
        }
    }

    private static bool IsOperationsPath(PathString path) =>
        path.StartsWithSegments("/healthz") || path.StartsWithSegments("/readyz") || path.StartsWithSegments(MetricsPath);
}
