using System.Diagnostics.Metrics;
using QuayGateway.Hosting;

namespace QuayGateway.Webhooks.Delivery;

/// <summary>Webhook delivery attempts by outcome (<c>quaygateway.webhook.deliveries</c>).</summary>
public sealed class WebhookMetrics(IMeterFactory meters)
{
    private readonly Counter<long> _deliveries = meters.Create(TelemetrySetup.MeterName).CreateCounter<long>(
        "quaygateway.webhook.deliveries", "{delivery}", "Webhook delivery attempts by outcome.");

    /// <summary>One attempt: <paramref name="outcome"/> is succeeded, failed or retrying.</summary>
    public void CountWebhookDelivery(string outcome) => _deliveries.Add(1, new KeyValuePair<string, object?>("outcome", outcome));
}
