using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Rollout;

/// <summary>
/// One change, one apply: runs of the apply job that overlap for one registry (the resync re-enqueuing a rollout
/// whose job still waits in a busy queue, a job Hangfire hands out again) apply it to the cluster once.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ApplyOnceTests(GatewayFixture gateway)
{
    private readonly ProvisioningScenario _scenario = new(gateway);

    [Fact]
    public async Task Overlapping_apply_jobs_for_one_change_apply_it_once()
    {
        var sandbox = _scenario.Sandbox();
        // Every Kubernetes call takes a second, so the runs started below overlap with each other and with the job the
        // create enqueued: each reads the row as Accepted or Applying before any of them has recorded the apply.
        sandbox.Faults.ApiLatency = TimeSpan.FromSeconds(1);
        RegistryResponse created;
        try
        {
            created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ProvisioningScenario.UniqueNamespace("apply-once")));
            await Task.WhenAll(Enumerable.Range(0, 2).Select(async _ =>
            {
                await using var scope = gateway.Host.Services.CreateAsyncScope();
                await scope.ServiceProvider.GetRequiredService<IApplyRegistryJob>().RunAsync(created.Id, CancellationToken.None);
            }));
        }
        finally
        {
            sandbox.Faults.ApiLatency = TimeSpan.Zero;
        }

        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        await using var check = gateway.Host.Services.CreateAsyncScope();
        var db = check.ServiceProvider.GetRequiredService<GatewayDb>();
        // Each run that applies announces it (registry.applied), whatever state the registry is in by then.
        Assert.Equal(1, await db.WebhookEvents.CountAsync(e => e.RegistryId == created.Id && e.Type == WebhookEventTypes.RegistryApplied));
    }
}
