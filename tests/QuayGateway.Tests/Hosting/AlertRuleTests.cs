using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using QuayGateway.Hosting;
using QuayGateway.Quay;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Tests.Packaging;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// The chart's opt-in PrometheusRule: its alerts, and that every gateway metric they use is one the gateway exports,
/// with the values a healthy gateway reports.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed partial class AlertRuleTests(GatewayFixture gateway)
{
    private static readonly string[] Alerts =
    [
        "QuayGatewayRolloutDeadlineExceeded", "QuayGatewayRolloutsOverdue", "QuayGatewayWebhookDeliveriesFailing",
        "QuayGatewayClusterNotWatched", "QuayGatewayDatabaseUnavailable", "QuayGatewayQuayCredentialsFailing",
    ];

    private static string Template => File.ReadAllText(Path.Combine(ChartYaml.ChartDir, "templates", "prometheusrule.yaml"));

    private static List<JsonNode> Rules()
    {
        var rule = ChartYaml.ToJson(ChartYaml.Blank(Template))!;
        Assert.Equal("PrometheusRule", (string?)rule["kind"]);
        return [.. rule["spec"]!["groups"]![0]!["rules"]!.AsArray().Select(r => r!)];
    }

    [Fact]
    public void The_rule_is_opt_in_and_has_each_alert_with_severity_and_a_runbook_line()
    {
        Assert.StartsWith("{{- if .Values.prometheusRule.enabled }}", Template, StringComparison.Ordinal);
        var values = ChartYaml.ToJson(File.ReadAllText(Path.Combine(ChartYaml.ChartDir, "values.yaml")))!;
        Assert.False((bool)values["prometheusRule"]!["enabled"]!);

        var rules = Rules();
        Assert.Equal(Alerts, rules.Select(r => (string?)r["alert"]));
        var readme = Repo.Read("README.md");
        foreach (var rule in rules)
        {
            Assert.Contains((string?)rule["labels"]!["severity"], new[] { "warning", "critical" });
            Assert.False(string.IsNullOrWhiteSpace((string?)rule["annotations"]!["summary"]));
            Assert.Contains($"| `{(string)rule["alert"]!}` |", readme, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Every_metric_the_alerts_use_is_exported_and_a_healthy_gateway_reports_no_alert()
    {
        // Every instrument of the gateway's meter, by the name the Prometheus exporter gives it (the counters made on
        // first use made now).
        _ = gateway.Host.Services.GetRequiredService<QuayGateway.Webhooks.Delivery.WebhookMetrics>();
        _ = gateway.Host.Services.GetRequiredService<QuayMetrics>();
        var exported = new HashSet<string>(StringComparer.Ordinal);
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == TelemetrySetup.MeterName)
                {
                    var name = instrument.Name.Replace('.', '_');
                    lock (exported) exported.Add(instrument is Counter<long> or ObservableCounter<long> ? name + "_total" : name);
                }
            };
            listener.Start();
        }

        var used = Rules().SelectMany(r => MetricName().Matches((string)r["expr"]!).Select(m => m.Value)).Distinct().ToList();
        Assert.Equal(6, used.Count);
        Assert.All(used, name => Assert.True(exported.Contains(name), $"{name} is not among the exported {string.Join(", ", exported.Order())}"));

        // A healthy gateway: PostgreSQL up, the sandbox cluster watched, nothing overdue.
        var text = await GatewayFixture.EventuallyAsync(
            () => gateway.Client(apiKey: null).GetStringAsync("/metrics"),
            t => Value(t, "quaygateway_cluster_watched", "cluster=\"sandbox\"") == 1 && Value(t, "quaygateway_database_up", "") == 1,
            TimeSpan.FromSeconds(30));
        Assert.Equal(0, Value(text, "quaygateway_rollouts_overdue", ""));
    }

    [Fact]
    public async Task Database_up_is_1_for_the_real_database_and_0_for_one_that_does_not_answer()
    {
        using var meters = new TestMeterFactory();
        await using var real = NpgsqlDataSource.Create(gateway.ConnectionString);
        await using var gone = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(gateway.ConnectionString) { Port = 1, Timeout = 1 }.ConnectionString);

        Assert.True(new DatabaseMetrics(meters, real, TimeProvider.System).IsUp());
        Assert.False(new DatabaseMetrics(meters, gone, TimeProvider.System).IsUp());
    }

    [Theory]
    [InlineData(200, "[]", "success")]
    [InlineData(401, """{"error": "invalid_token"}""", "token_rejected")]
    [InlineData(403, """{"message": "CSRF token was invalid or missing."}""", "token_rejected")]
    [InlineData(403, """{"error_message": "Unauthorized", "error_type": "insufficient_scope"}""", "refused")]
    [InlineData(500, "oops", "failed")]
    [InlineData(0, null, "no_answer")]
    public void Quay_calls_are_counted_by_outcome(int status, string? body, string outcome)
    {
        using var meters = new TestMeterFactory();
        var seen = new List<string>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "quaygateway.quay.requests" && meters.Owns(instrument.Meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var tag in tags)
            {
                if (tag.Key == "outcome")
                {
                    seen.Add((string)tag.Value!);
                }
            }
        });
        listener.Start();

        new QuayMetrics(meters).Count("sandbox", body is null ? null : new QuayAnswer(status, body));

        Assert.Equal([outcome], seen);
    }

    private static double? Value(string text, string metric, string label)
    {
        foreach (Match m in Sample().Matches(text))
        {
            if (m.Groups["name"].Value == metric && m.Groups["labels"].Value.Contains(label, StringComparison.Ordinal))
            {
                return double.Parse(m.Groups["value"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    [GeneratedRegex(@"quaygateway_[a-z_]+")]
    private static partial Regex MetricName();

    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{(?<labels>[^}]*)\})? (?<value>[0-9.eE+-]+)", RegexOptions.Multiline)]
    private static partial Regex Sample();

    /// <summary>Meters of their own, so a test sees only its own instruments.</summary>
    private sealed class TestMeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options.Name, options.Version, options.Tags, scope: this);
            _meters.Add(meter);
            return meter;
        }

        public bool Owns(Meter meter) => _meters.Contains(meter);

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}
