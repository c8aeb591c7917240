using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Hosting;
using QuayGateway.Registries;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary><c>/metrics</c> is anonymous Prometheus text with the gateway's named instruments.</summary>
[Collection(GatewayCollection.Name)]
public sealed partial class MetricsTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Metrics_are_anonymous_Prometheus_text()
    {
        using var response = await gateway.Client(apiKey: null).GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Contains("# TYPE ", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_a_registry_is_created_the_named_instruments_are_exposed()
    {
        var client = gateway.Client();
        using (var created = await client.PostJsonAsync("/v1/registries", CreateRegistry.Example with { Name = "metrics-check", Namespace = "metrics-check" }))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        }

        // What the engine and the webhook sender report through GatewayMetrics.
        var metrics = gateway.Host.Services.GetRequiredService<GatewayMetrics>();
        metrics.RecordRolloutDuration(TimeSpan.FromSeconds(42), "sandbox", "Available");
        metrics.CountKubernetesCall("create", 201);
        metrics.CountWebhookDelivery("delivered");

        var registries = await gateway.WithDbAsync(db => Task.FromResult(db.Registries.Count()));
        var text = await GatewayFixture.EventuallyAsync(
            () => gateway.Client(apiKey: null).GetStringAsync("/metrics"),
            t => SumOf(t, "quaygateway_registries") >= registries && t.Contains("quaygateway_webhook_deliveries_total", StringComparison.Ordinal));

        Assert.Contains("http_server_request_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Matches(@"quaygateway_registries\{[^}]*state=""Accepted""[^}]*\} \d+", text);
        Assert.Matches(@"quaygateway_registries\{[^}]*state=""Failed""[^}]*\} 0", text);
        Assert.True(SumOf(text, "quaygateway_registries") >= registries, $"registries gauge sums to {SumOf(text, "quaygateway_registries")}, database has {registries}");
        Assert.Matches(@"quaygateway_hangfire_queue_depth\{[^}]*queue=""default""[^}]*\} \d+", text);
        Assert.Matches(@"quaygateway_rollout_duration_seconds_bucket\{[^}]*cluster=""sandbox""[^}]*le=""60""[^}]*\} [1-9]", text);
        Assert.Matches(@"quaygateway_kubernetes_requests_total\{[^}]*code=""201""[^}]*verb=""create""[^}]*\} [1-9]", text);
        Assert.Matches(@"quaygateway_webhook_deliveries_total\{[^}]*outcome=""delivered""[^}]*\} [1-9]", text);
    }

    private static long SumOf(string text, string metric) =>
        Sample().Matches(text).Where(m => m.Groups["name"].Value == metric).Sum(m => long.Parse(m.Groups["value"].Value));

    [GeneratedRegex(@"^(?<name>[a-z_]+)\{[^}]*\} (?<value>\d+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
