using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Sandbox.Faults;
using QuayGateway.Sandbox.Operator;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Rollout;

/// <summary>Faults injected into the sandbox, seen through the gateway: a crash-looping component, API errors, dropped watches.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RolloutFaultTests(GatewayFixture gateway)
{
    private readonly ProvisioningScenario _scenario = new(gateway);

    [Fact]
    public async Task A_crash_looping_component_degrades_a_ready_registry_and_clearing_it_recovers()
    {
        var ns = ProvisioningScenario.UniqueNamespace("crash");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ns));
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        var faults = _scenario.Sandbox().Faults.Operator;

        faults.AddCrashLoop(new CrashLoopFault("clair-app", ns, "example-registry"));
        try
        {
            var degraded = await _scenario.WaitForAsync(created.Id, RegistryState.Degraded);
            Assert.Equal(RegistryHealth.Degraded, degraded.Health);
            var status = await _scenario.Read<RegistryStatusResponse>($"/v1/registries/{created.Id}/status");
            Assert.Contains(status.UnhealthyComponents, c => c.Component == "clair");
            var fleet = await _scenario.Read<FleetStatusResponse>("/v1/status");
            Assert.Contains(fleet.Unhealthy, r => r.Id == created.Id);
            // The pods come from the cluster-wide pod watch: showing them costs the cluster no request.
            var podLists = _scenario.Sandbox().Requests.Count("list", "pods");
            var components = (await _scenario.ComponentsAsync(created.Id, c => c["clair"].Pods.Any(p => p.Status == "CrashLoopBackOff" && p.Restarts > 0)))["clair"];
            Assert.Contains(components.Pods, p => p.Status == "CrashLoopBackOff" && p.Restarts > 0);
            Assert.Equal(podLists, _scenario.Sandbox().Requests.Count("list", "pods"));
            // Its restarts land in the timeline as they climb.
            var restarts = await GatewayFixture.EventuallyAsync(() => _scenario.TimelineAsync(created.Id),
                t => t.Count(e => e.Type == TimelineEntryType.PodRestarted) >= 2);
            Assert.Contains(restarts, e => e.Type == TimelineEntryType.PodRestarted && e.Message!.Contains("(clair)", StringComparison.Ordinal)
                                           && e.Message.Contains("CrashLoopBackOff", StringComparison.Ordinal));
        }
        finally
        {
            faults.Clear();
        }

        var recovered = await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        Assert.Equal(RegistryHealth.Healthy, recovered.Health);
        var timeline = await _scenario.TimelineAsync(created.Id);
        Assert.Equal([RegistryState.Degraded, RegistryState.Available, RegistryState.Ready],
            timeline.Where(e => e.Type == TimelineEntryType.StateChanged).Select(e => e.State).TakeLast(3));
    }

    [Fact]
    public async Task Transient_api_errors_are_retried_until_the_registry_is_ready()
    {
        var sandbox = _scenario.Sandbox();
        sandbox.Faults.ApiErrorStatusCode = 500;
        sandbox.Faults.ApiErrorRate = 0.4;
        RegistryResponse created;
        try
        {
            created = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ProvisioningScenario.UniqueNamespace("flaky")));
            await GatewayFixture.EventuallyAsync(() => _scenario.GetAsync(created.Id), r => r.State is RegistryState.Progressing or RegistryState.Ready,
                TimeSpan.FromSeconds(45));
        }
        finally
        {
            sandbox.Faults.ApiErrorRate = 0;
        }

        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
    }

    [Fact]
    public async Task Dropped_and_expired_watches_are_resumed_and_relisted()
    {
        var sandbox = _scenario.Sandbox();
        var first = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ProvisioningScenario.UniqueNamespace("dropped")));
        sandbox.Faults.CloseWatches();
        await _scenario.WaitForAsync(first.Id, RegistryState.Ready);

        sandbox.Faults.ExpireNextWatches(2);
        sandbox.Faults.CloseWatches();
        var second = await _scenario.CreateAsync(new CreateRegistryRequest("example-registry", ProvisioningScenario.UniqueNamespace("expired")));
        await _scenario.WaitForAsync(second.Id, RegistryState.Ready);
    }
}
