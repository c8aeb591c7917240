using Hangfire;
using Hangfire.Storage;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Quay;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Delivery;
using static QuayGateway.Jobs.JobsSetup;

namespace QuayGateway.Tests.Jobs;

/// <summary>
/// Every recurring job a feature defines reaches Hangfire. Two features registering theirs once lost one of them
/// (a hosted service per job, registered by factory, is kept once per type).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RecurringJobsTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Every_recurring_job_the_gateway_defines_is_registered_in_hangfire()
    {
        var defined = gateway.Host.Services.GetServices<RecurringJobDefinition>().Select(d => d.Id).Order().ToList();
        Assert.Equal([RobotPullSecretsJob.RecurringId, ResyncJob.RecurringId, RetentionJob.RecurringId, WebhookSweepJob.RecurringId], defined);

        // A hang guard, not a timing: registration runs in the background right after start.
        List<string> registered = [];
        for (var waited = TimeSpan.Zero; waited < TimeSpan.FromSeconds(60); waited += TimeSpan.FromMilliseconds(200))
        {
            using var connection = gateway.Host.Services.GetRequiredService<JobStorage>().GetConnection();
            registered = [.. connection.GetRecurringJobs().Select(j => j.Id).Order()];
            if (defined.All(registered.Contains))
            {
                break;
            }

            await Task.Delay(200);
        }

        Assert.Equal(defined, registered);
    }
}
