using Hangfire;
using k8s;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Clusters;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Rollout;

/// <summary>
/// One cluster's events, however they arrive (watch, re-list, resync job), land here: observations go to the
/// <see cref="RolloutTracker"/>, disappearances become drift repair or the end of a deprovision.
/// </summary>
public sealed class WatchEventRouter(GatewayDb db, RolloutTracker tracker, IBackgroundJobClient jobs)
{
    /// <summary>
    /// One registry's pending news from the watches: its QuayRegistry's latest event (if any) and its pods, jobs and
    /// HPAs as now seen (if they changed). <paramref name="key"/> is namespace/name.
    /// </summary>
    public Task ObserveAsync(string cluster, string key, WatchEventType? type, QuayRegistryResource? live, RegistryWorkloads? workloads, CancellationToken ct) =>
        type == WatchEventType.Deleted && live is not null
            ? DeletedAsync(cluster, live, ct)
            : tracker.ObserveAsync(cluster, key, live, workloads, ct);

    /// <summary>Lists the cluster's managed QuayRegistries, observes each, and finds the ones that vanished.</summary>
    public async Task<string?> RelistAsync(ClusterClient cluster, Action<QuayRegistryResource>? observe, CancellationToken ct)
    {
        var list = await cluster.ListQuayRegistriesAsync(ct);
        foreach (var item in list.Items)
        {
            if (observe is not null)
            {
                observe(item);
            }
            else
            {
                db.ChangeTracker.Clear();
                await tracker.ObserveAsync(cluster.Name, item, ct);
            }
        }

        await ObserveAbsentAsync(cluster.Name, list, ct);
        return list.Metadata.ResourceVersion;
    }

    /// <summary>
    /// The registries whose QuayRegistry <paramref name="list"/> does not hold: drift to repair, unless the list is older
    /// than what the registry's row already knows of its object (see <see cref="RolloutTracker.ObserveMissingAsync"/>).
    /// </summary>
    public async Task ObserveAbsentAsync(string cluster, QuayRegistryList list, CancellationToken ct)
    {
        // A registry's object is present when its place holds it: the one with its uid (any, before one is recorded).
        var present = list.Items.ToLookup(i => (i.Metadata.NamespaceProperty, i.Metadata.Name), i => i.Metadata.Uid);
        var expected = await db.Registries.AsNoTracking()
            .Where(r => r.Cluster == cluster && RegistryLifecycle.ExpectingQuayRegistry.Contains(r.State) && r.AppliedSpecVersion > 0)
            .Select(r => new { r.Id, r.Namespace, r.Name, r.QuayRegistryUid })
            .ToListAsync(ct);
        foreach (var missing in expected.Where(r => !present[(r.Namespace, r.Name)].Any(uid => r.QuayRegistryUid is null || uid == r.QuayRegistryUid)))
        {
            db.ChangeTracker.Clear();
            if (await db.Registries.SingleOrDefaultAsync(r => r.Id == missing.Id, ct) is { } registry)
            {
                await tracker.ObserveMissingAsync(registry, list.Metadata.ResourceVersion, ct);
            }
        }
    }

    private async Task DeletedAsync(string cluster, QuayRegistryResource live, CancellationToken ct)
    {
        var registry = await db.Registries.SingleOrDefaultAsync(r => r.Cluster == cluster && r.Namespace == live.Metadata.NamespaceProperty
                                                                     && r.Name == live.Metadata.Name && r.State != RegistryState.Deleted, ct);
        if (registry is null || !RegistryManifest.IsOwn(registry, live))
        {
            return; // a look-alike went away: nothing of ours changed
        }

        if (registry.State == RegistryState.Deleting)
        {
            jobs.Enqueue<IDeleteRegistryJob>(job => job.RunAsync(registry.Id, CancellationToken.None)); // finish promptly
            return;
        }

        await tracker.ObserveMissingAsync(registry, live.Metadata.ResourceVersion, ct);
    }
}
