using k8s;
using k8s.Models;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Rollout;

/// <summary>
/// A change's deadline is set when it is asked for and swept by the resync job, so no lost job can leave a registry
/// changing forever: not a rollout whose apply never ran, and not a deprovision held by a finalizer.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class DeadlineTests(GatewayFixture gateway)
{
    private readonly ProvisioningScenario _scenario = new(gateway);

    [Fact]
    public async Task A_create_carries_its_deadline_from_the_start()
    {
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("deadline-set", ProvisioningScenario.UniqueNamespace("deadline")));

        var deadline = await gateway.WithDbAsync(db => db.Registries.Where(r => r.Id == created.Id).Select(r => r.RolloutDeadline).SingleAsync());

        Assert.NotNull(deadline);
        Assert.True(deadline > created.CreatedAt);
    }

    [Fact]
    public async Task A_rollout_whose_jobs_were_lost_fails_at_its_deadline()
    {
        // As a replica that died before the first apply would leave it: accepted and applying, with no job anywhere.
        var registry = new Registry
        {
            Tenant = "deadline-tests", Cluster = "sandbox", Namespace = ProvisioningScenario.UniqueNamespace("lost"), Name = "lost-deadline",
            Spec = new RegistrySpec([], null, null, null, [], new Dictionary<string, string>(), null),
            RolloutDeadline = DateTimeOffset.UtcNow.AddSeconds(-1),
        };
        var rows = new NewRowBatch();
        rows.Add(registry);
        rows.MoveTo(registry, RegistryState.Applying, "Applying", "Applying.", registry.CreatedAt);
        await gateway.WithDbAsync(async db =>
        {
            await gateway.Host.Services.GetRequiredService<NewRowsWriter>().InsertAsync(db, rows, CancellationToken.None);
            return 0;
        });

        await RunResyncAsync();

        var swept = await gateway.WithDbAsync(db => db.Registries.AsNoTracking().SingleAsync(r => r.Id == registry.Id));
        Assert.Equal(RegistryState.Failed, swept.State);
        Assert.Contains(swept.Conditions, c => c is { Type: ConditionTypes.Available, Reason: "DeadlineExceeded" });
    }

    [Fact]
    public async Task A_deprovision_held_by_a_finalizer_fails_at_its_deadline_naming_the_finalizer()
    {
        var ns = ProvisioningScenario.UniqueNamespace("stuck");
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("stuck-finalizer", ns));
        await _scenario.WaitForAsync(created.Id, RegistryState.Available, RegistryState.Ready);
        using var kubernetes = _scenario.Kubernetes();
        var patch = new V1Patch("""{"metadata":{"finalizers":["quay-operator/finalizer","example.com/stuck"]}}""", V1Patch.PatchType.MergePatch);
        await kubernetes.CustomObjects.PatchNamespacedCustomObjectAsync(patch, "quay.redhat.com", "v1", ns, "quayregistries", created.Name);

        using var deleted = await _scenario.Client.DeleteAsync($"/v1/registries/{created.Id}");
        Assert.Equal(System.Net.HttpStatusCode.Accepted, deleted.StatusCode);
        await _scenario.WaitForAsync(created.Id, RegistryState.Deleting);
        // The delete job has asked the cluster to delete it: the object waits on its finalizers.
        var deleting = await GatewayFixture.EventuallyAsync(
            async () => System.Text.Json.Nodes.JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(
                await kubernetes.CustomObjects.GetNamespacedCustomObjectAsync("quay.redhat.com", "v1", ns, "quayregistries", created.Name)))!,
            o => o["metadata"]?["deletionTimestamp"] is not null, TimeSpan.FromSeconds(30));
        Assert.NotNull(deleting["metadata"]!["deletionTimestamp"]);
        // The deadline (Gateway:Rollout:DeleteDeadline, 30 min by default) has passed.
        await gateway.WithDbAsync(db => db.Registries.Where(r => r.Id == created.Id)
            .ExecuteUpdateAsync(u => u.SetProperty(r => r.RolloutDeadline, DateTimeOffset.UtcNow.AddSeconds(-1))));

        await RunResyncAsync();

        var failed = await _scenario.WaitForAsync(created.Id, RegistryState.Failed);
        var condition = Assert.Single(failed.Conditions, c => c.Type == ConditionTypes.Available);
        Assert.Equal("DeleteDeadlineExceeded", condition.Reason);
        Assert.Contains("example.com/stuck", condition.Message, StringComparison.Ordinal);

        // Let the sandbox finish with it.
        await kubernetes.CustomObjects.PatchNamespacedCustomObjectAsync(
            new V1Patch("""{"metadata":{"finalizers":[]}}""", V1Patch.PatchType.MergePatch), "quay.redhat.com", "v1", ns, "quayregistries", created.Name);
    }

    private async Task RunResyncAsync()
    {
        await using var scope = gateway.Host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<ResyncJob>().RunAsync(CancellationToken.None);
    }
}
