using Microsoft.Extensions.Configuration;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Webhooks.Model;

public sealed class WebhookOptionsTests
{
    [Fact]
    public void Defaults_follow_the_standard_webhooks_schedule_and_a_10_second_timeout()
    {
        var options = WebhookOptions.From(new ConfigurationBuilder().Build().GetSection(WebhookOptions.Section));

        Assert.Equal(
            [TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5),
             TimeSpan.FromHours(10), TimeSpan.FromHours(14), TimeSpan.FromHours(20), TimeSpan.FromHours(24)],
            options.RetrySchedule);
        Assert.Equal(10, options.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Timeout);
        Assert.Empty(options.AllowedDestinations);
    }

    [Fact]
    public void Lists_bind_from_one_value_or_from_indexed_children()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Gateway:Webhooks:RetrySchedule"] = "500ms, 2s,00:01:00,1h",
            ["Gateway:Webhooks:AllowedDestinations:0"] = "127.0.0.0/8",
            ["Gateway:Webhooks:AllowedDestinations:1"] = "hooks.internal",
        }).Build();

        var options = WebhookOptions.From(configuration.GetSection(WebhookOptions.Section));

        Assert.Equal([TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1), TimeSpan.FromHours(1)], options.RetrySchedule);
        Assert.Equal(["127.0.0.0/8", "hooks.internal"], options.AllowedDestinations);
    }
}
