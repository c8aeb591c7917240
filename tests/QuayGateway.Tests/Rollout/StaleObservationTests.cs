using System.Text.Json;
using k8s;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Clusters;
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

    /// <summary>
    /// The re-list (the resync job's, or the watch's after a restart or a 410) reads the cluster first and the registries
    /// second. A registry applied in between is not in the list, yet its row says applied: that is no disappearance, and
    /// re-applying it would take its fresh rollout back to Applying (seen in CI as Applying, Progressing, Applying,
    /// Progressing). The list's resource version tells it apart from one taken after the object really went away.
    /// </summary>
    [Fact]
    public async Task A_list_taken_before_the_apply_does_not_make_the_applied_object_missing()
    {
        var cluster = gateway.Host.Services.GetRequiredService<ClusterConnections>().Get("sandbox");
        var before = await cluster.ListQuayRegistriesAsync(CancellationToken.None);
        var created = await _scenario.CreateAsync(new CreateRegistryRequest("relist-race", ProvisioningScenario.UniqueNamespace("relist")));
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
        Assert.DoesNotContain(before.Items, i => i.Metadata.NamespaceProperty == created.Namespace);

        await ObserveAbsentAsync(before);

        Assert.Equal(RegistryState.Ready, (await _scenario.GetAsync(created.Id)).State);
        var timeline = await _scenario.TimelineAsync(created.Id);
        Assert.DoesNotContain(timeline, e => e.Type == TimelineEntryType.Drift);
        Assert.Equal([RegistryState.Accepted, RegistryState.Applying, RegistryState.Progressing, RegistryState.Available, RegistryState.Ready],
            timeline.Where(e => e.Type == TimelineEntryType.StateChanged).Select(e => e.State));

        // A list taken now that lacks the object is newer than anything the row holds: that is drift, and re-applied.
        // Listed again until then: the watch may still record a status change the operator made after a list (seen
        // once in a full run), and the row then knows a newer object than that list, rightly.
        var drifted = await GatewayFixture.EventuallyAsync(async () =>
        {
            var after = await cluster.ListQuayRegistriesAsync(CancellationToken.None);
            after.Items = [.. after.Items.Where(i => i.Metadata.NamespaceProperty != created.Namespace)];
            await ObserveAbsentAsync(after);
            return await _scenario.TimelineAsync(created.Id);
        }, timeline => timeline.Any(e => e.Type == TimelineEntryType.Drift));
        Assert.Contains(drifted, e => e.Type == TimelineEntryType.Drift && e.Reason == "QuayRegistryMissing");
        await _scenario.WaitForAsync(created.Id, RegistryState.Ready);
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

    private async Task ObserveAbsentAsync(QuayRegistryList list)
    {
        await using var scope = gateway.Host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<WatchEventRouter>().ObserveAbsentAsync("sandbox", list, CancellationToken.None);
    }

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
