using System.Net;
using k8s;
using k8s.Models;
using QuayGateway.Registries.Model;

namespace QuayGateway.Tests.Chaos;

/// <summary>
/// A delete that cannot finish (a foreign finalizer that nobody clears holds the QuayRegistry) becomes Failed once
/// <c>Gateway:Rollout:DeleteDeadline</c> has passed, with a reason naming the finalizer.
/// </summary>
public static class StuckFinalizerScenario
{
    public const string Name = "stuck-finalizer";
    private const string Finalizer = "example.com/stuck";
    private static readonly TimeSpan DeleteDeadline = TimeSpan.FromSeconds(5);

    public static async Task<ChaosResult> RunAsync(bool isShort)
    {
        var count = isShort ? 2 : 5;
        var result = new ChaosResult(Name).Figure("deletes", count).Seconds("delete_deadline_s", DeleteDeadline);
        await using var env = await ChaosEnvironment.StartAsync(TimeSpan.FromMilliseconds(300));
        var gateway = await env.StartReplicaAsync(ChaosEnvironment.FastResync, $"--Gateway:Rollout:DeleteDeadline={DeleteDeadline:c}");
        using var client = ChaosEnvironment.Client(gateway);
        using var kubernetes = env.Kubernetes();

        var created = new List<(Guid Id, string Namespace)>();
        for (var i = 0; i < count; i++)
        {
            var (id, response) = await ChaosEnvironment.CreateAsync(client, $"stuck-{i}");
            response.Dispose();
            created.Add((id ?? throw new InvalidOperationException($"create answered {(int)response.StatusCode}"), $"stuck-{i}"));
        }

        var ids = created.Select(c => c.Id).ToList();
        await ChaosEnvironment.WaitForStatesAsync(client, ids, TimeSpan.FromSeconds(60), RegistryState.Ready);
        var holdPatch = new V1Patch($$$"""{"metadata":{"finalizers":["quay-operator/finalizer","{{{Finalizer}}}"]}}""", V1Patch.PatchType.MergePatch);
        var deletedAt = new Dictionary<Guid, DateTimeOffset>();
        foreach (var (id, ns) in created)
        {
            await kubernetes.CustomObjects.PatchNamespacedCustomObjectAsync(holdPatch, "quay.redhat.com", "v1", ns, "quayregistries", "example-registry");
            deletedAt[id] = DateTimeOffset.UtcNow;
            using var deleted = await client.DeleteAsync($"/v1/registries/{id}");
            result.Check(deleted.StatusCode == HttpStatusCode.Accepted, $"delete answered {(int)deleted.StatusCode}");
        }

        var final = await ChaosEnvironment.WaitForStatesAsync(client, ids, TimeSpan.FromSeconds(60), RegistryState.Failed);
        var failed = final.Values.Count(s => s == RegistryState.Failed);
        var latest = TimeSpan.Zero;
        var naming = 0;
        foreach (var id in ids.Where(id => final.GetValueOrDefault(id) == RegistryState.Failed))
        {
            var timeline = await ChaosEnvironment.TimelineAsync(client, id);
            var failure = timeline.Last(e => e is { Type: TimelineEntryType.StateChanged, State: RegistryState.Failed });
            naming += failure.Reason == "DeleteDeadlineExceeded" && failure.Message!.Contains(Finalizer, StringComparison.Ordinal) ? 1 : 0;
            var late = failure.At - (deletedAt[id] + DeleteDeadline);
            latest = late > latest ? late : latest;
            result.Check(late > TimeSpan.FromSeconds(-1), $"registry {id} failed {-late.TotalSeconds:F1} s before its delete deadline");
        }

        result.Figure("failed", failed).Figure("reason_names_finalizer", naming).Seconds("max_late_s", latest)
            .Check(failed == count, $"{count - failed} deletes did not become Failed: {string.Join(", ", final.Values.Distinct())}")
            .Check(naming == failed, $"{failed - naming} failures do not name {Finalizer} with reason DeleteDeadlineExceeded");

        // The finalizer let go: the sandbox finishes with them.
        foreach (var (_, ns) in created)
        {
            await kubernetes.CustomObjects.PatchNamespacedCustomObjectAsync(
                new V1Patch("""{"metadata":{"finalizers":[]}}""", V1Patch.PatchType.MergePatch), "quay.redhat.com", "v1", ns, "quayregistries", "example-registry");
        }

        result.Detail = env.ReplicaOutput();
        return result;
    }
}
