using System.Net;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Delivery;

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
    public async Task After_a_rollout_in_the_sandbox_the_named_instruments_are_exposed()
    {
        var client = gateway.Client();
        Guid id;
        using (var created = await client.PostJsonAsync("/v1/registries", new CreateRegistryRequest("metrics-check", "metrics-check")))
        {
            Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
            id = (await created.ReadAsync<RegistryResponse>()).Id;
        }

        // A real rollout: the engine records its duration and every Kubernetes call it made.
        await GatewayFixture.EventuallyAsync(async () => await (await client.GetAsync($"/v1/registries/{id}")).ReadAsync<RegistryResponse>(),
            r => r.State == RegistryState.Ready, TimeSpan.FromSeconds(45));
        // Webhook outcomes are counted by the delivery job (exercised by the webhook tests); make sure one exists here.
        gateway.Host.Services.GetRequiredService<WebhookMetrics>().CountWebhookDelivery("succeeded");

        var registries = await gateway.WithDbAsync(db => Task.FromResult(db.Registries.Count()));
        var text = await GatewayFixture.EventuallyAsync(
            () => gateway.Client(apiKey: null).GetStringAsync("/metrics"),
            // The exporter caches a scrape briefly: poll until this rollout's samples are in.
            t => SumOf(t, "quaygateway_registries") >= registries && t.Contains("quaygateway_webhook_deliveries_total", StringComparison.Ordinal)
                 && t.Contains("outcome=\"Available\"", StringComparison.Ordinal) && t.Contains("verb=\"patch\"", StringComparison.Ordinal));

        Assert.Contains("http_server_request_duration_seconds_bucket", text, StringComparison.Ordinal);
        Assert.Matches(@"quaygateway_registries\{[^}]*state=""Accepted""[^}]*\} \d+", text);
        Assert.Matches(@"quaygateway_registries\{[^}]*state=""Failed""[^}]*\} \d+", text);
        Assert.True(SumOf(text, "quaygateway_registries") >= registries, $"registries gauge sums to {SumOf(text, "quaygateway_registries")}, database has {registries}");
        Assert.Matches(@"quaygateway_hangfire_queue_depth\{[^}]*queue=""default""[^}]*\} \d+", text);
        Assert.Matches(@"quaygateway_rollout_duration_seconds_bucket\{(?=[^}]*cluster=""sandbox"")(?=[^}]*outcome=""Available"")(?=[^}]*le=""60"")[^}]*\} [1-9]", text);
        Assert.Matches(@"quaygateway_kubernetes_requests_total\{(?=[^}]*code=""200"")(?=[^}]*verb=""patch"")[^}]*\} [1-9]", text);
        Assert.Matches(@"quaygateway_webhook_deliveries_total\{[^}]*outcome=""succeeded""[^}]*\} [1-9]", text);
    }

    private static long SumOf(string text, string metric) =>
        Sample().Matches(text).Where(m => m.Groups["name"].Value == metric).Sum(m => long.Parse(m.Groups["value"].Value));

    [GeneratedRegex(@"^(?<name>[a-z_]+)\{[^}]*\} (?<value>\d+)", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
