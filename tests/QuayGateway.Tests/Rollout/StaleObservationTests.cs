using System.Text.Json;
using k8s;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Clusters;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Rollout;

/// <summary>
/// Observations can land out of order: the resync job lists every QuayRegistry and lands each one while the watch
/// keeps landing newer events. An older observation must not take the status back (and so record its transitions a
/// second time when the newer one comes again).
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class StaleObservationTests(GatewayFixture gateway)
{
    private readonly ProvisioningScenario _scenario = new(gateway);

    [Fact]
    public async Task An_observation_older_than_the_stored_one_changes_nothing()
    {
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("stale-observation", ProvisioningScenario.UniqueNamespace("stale")));
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        using var kubernetes = _scenario.Kubernetes();
        var live = JsonSerializer.Deserialize<QuayRegistryResource>(JsonSerializer.Serialize(
            await kubernetes.CustomObjects.GetNamespacedCustomObjectAsync("quay.redhat.com", "v1", created.Namespace, "quayregistries", created.Name)))!;
        await ObserveAsync(live); // whatever the watch has landed by now, this is the newest
        var before = await SnapshotAsync(created.Id);

        // The same object as a list taken earlier would show it: an older resource version, mid-rollout.
        var stale = JsonSerializer.Deserialize<QuayRegistryResource>(JsonSerializer.Serialize(live))!;
        stale.Metadata.ResourceVersion = (ulong.Parse(live.Metadata.ResourceVersion!) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var condition in stale.Status!["conditions"]!.AsArray().Select(c => c!.AsObject()).Where(c => (string?)c["type"] == "Available"))
        {
            condition["status"] = "False";
            condition["reason"] = "ComponentsCreationSuccess";
        }

        await ObserveAsync(stale);

        var after = await SnapshotAsync(created.Id);
        Assert.Equal(RegistryState.Ready, after.State);
        Assert.Equal("True", after.Available);
        Assert.Equal(before.AvailableFalseEntries, after.AvailableFalseEntries);

        // The guard is the resource version alone: the same change at a newer version is landed and recorded.
        stale.Metadata.ResourceVersion = (ulong.Parse(live.Metadata.ResourceVersion!) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await ObserveAsync(stale);
        var newer = await SnapshotAsync(created.Id);
        Assert.NotEqual(RegistryState.Ready, newer.State);
        Assert.Equal("False", newer.Available);
        Assert.Equal(before.AvailableFalseEntries + 1, newer.AvailableFalseEntries);
    }

    [Fact]
    public async Task An_observation_of_the_object_already_landed_writes_nothing()
    {
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("landed-observation", ProvisioningScenario.UniqueNamespace("landed")));
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        using var kubernetes = _scenario.Kubernetes();
        var live = JsonSerializer.Deserialize<QuayRegistryResource>(JsonSerializer.Serialize(
            await kubernetes.CustomObjects.GetNamespacedCustomObjectAsync("quay.redhat.com", "v1", created.Namespace, "quayregistries", created.Name)))!;
        await ObserveAsync(live); // whatever the watch has landed by now, this is the newest
        var before = await RowAsync(created.Id);

        // What the resync's re-list brings every minute: the object as stored, at the same resource version.
        await ObserveAsync(live);
        await ObserveAsync(live);

        var after = await RowAsync(created.Id);
        Assert.Equal(before, after); // not rewritten: the same row version (xmin) and the same updatedAt
        Assert.Equal(RegistryState.Ready, (await _scenario.GetAsync(created.Id)).State);
    }

    private Task<(uint Version, DateTimeOffset UpdatedAt)> RowAsync(Guid id) =>
        gateway.WithDbAsync(async db =>
        {
            var row = await db.Registries.AsNoTracking().Where(r => r.Id == id).Select(r => new { r.Version, r.UpdatedAt }).SingleAsync();
            return (row.Version, row.UpdatedAt);
        });

    [Theory]
    [InlineData("9", "10", true)]
    [InlineData("10", "10", false)]
    [InlineData("11", "10", false)]
    [InlineData("10", null, false)]
    [InlineData(null, "10", false)]
    [InlineData("abc", "10", false)]
    [InlineData("-1", "10", false)]
    public void Only_two_revisions_that_parse_are_compared(string? candidate, string? seen, bool older) =>
        Assert.Equal(older, ResourceVersions.IsOlder(candidate, seen));

    private async Task ObserveAsync(QuayRegistryResource live)
    {
        await using var scope = gateway.Host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RolloutTracker>().ObserveAsync("sandbox", live, CancellationToken.None);
    }

    /// <summary>The state, the stored operator's Available status, and how often the timeline says Available=False.</summary>
    private Task<(RegistryState State, string? Available, int AvailableFalseEntries)> SnapshotAsync(Guid id) =>
        gateway.WithDbAsync(async db =>
        {
            var registry = await db.Registries.AsNoTracking().SingleAsync(r => r.Id == id);
            var entries = await db.Set<RegistryEvent>()
                .CountAsync(e => e.RegistryId == id && e.Type == TimelineEntryType.ConditionChanged && e.Message!.StartsWith("Available=False"));
            var available = StatusInterpreter.Conditions(registry.ParseOperatorStatus()).Single(c => c.Type == "Available").Status;
            return (registry.State, (string?)available, entries);
        });
}
