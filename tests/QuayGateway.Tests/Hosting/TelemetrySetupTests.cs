using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;
using OpenTelemetry.Trace;
using QuayGateway.Hosting;

namespace QuayGateway.Tests.Hosting;

/// <summary>The telemetry composition on its own: built, never started (the shared host is the only one that runs).</summary>
public sealed class TelemetrySetupTests
{
    [Fact]
    public void Tracing_is_on_only_when_an_OTLP_endpoint_is_configured()
    {
        using var without = Build(Environments.Production);
        Assert.Null(without.Services.GetService<TracerProvider>());

        using var with = Build(Environments.Production, (TelemetrySetup.OtlpEndpointSetting, "http://127.0.0.1:4317"));
        Assert.NotNull(with.Services.GetService<TracerProvider>());
    }

    [Theory]
    [InlineData("Production", ConsoleFormatterNames.Json)]
    [InlineData("Development", ConsoleFormatterNames.Simple)]
    public void Console_logs_are_json_outside_Development(string environment, string formatter)
    {
        using var app = Build(environment);
        Assert.Equal(formatter, app.Services.GetRequiredService<IOptions<ConsoleLoggerOptions>>().Value.FormatterName);
        Assert.Single(app.Services.GetServices<ILoggerProvider>().OfType<ConsoleLoggerProvider>());
    }

    private static WebApplication Build(string environment, params (string Key, string Value)[] settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment });
        foreach (var (key, value) in settings)
        {
            builder.Configuration[key] = value;
        }

        builder.AddGatewayTelemetry();
        return builder.Build();
    }
}
