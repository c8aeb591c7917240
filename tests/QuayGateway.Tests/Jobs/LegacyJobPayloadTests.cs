using Hangfire.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Jobs;

/// <summary>
/// Jobs queued or scheduled before an upgrade still run after it: stored payloads name the classes that implemented
/// them then, and run now as the contract those classes implement.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class LegacyJobPayloadTests(GatewayFixture gateway)
{
    // Written by the code before the registry job contracts (Hangfire 1.8's compact payload), for registry {0}.
    private const string ApplyPayload =
        """{"t":"QuayGateway.Rollout.ApplyRegistryJob, QuayGateway","m":"RunAsync","p":["System.Guid, mscorlib","System.Threading.CancellationToken, mscorlib"],"a":["\"{0}\"",null]}""";

    private const string BootstrapPayload =
        """{"t":"QuayGateway.Quay.BootstrapJob, QuayGateway","m":"RunAsync","p":["System.Guid, mscorlib","System.Boolean","System.Threading.CancellationToken, mscorlib"],"a":["\"{0}\"","true",null]}""";

    private const string DeletePayload =
        """{"t":"QuayGateway.Rollout.DeleteRegistryJob, QuayGateway","m":"RunAsync","p":["System.Guid, mscorlib","System.Threading.CancellationToken, mscorlib"],"a":["\"{0}\"",null]}""";

    [Theory]
    [InlineData(ApplyPayload, typeof(IApplyRegistryJob))]
    [InlineData(BootstrapPayload, typeof(IBootstrapRegistryJob))]
    [InlineData(DeletePayload, typeof(IDeleteRegistryJob))]
    public void An_old_payload_reads_as_its_contract(string payload, Type contract)
    {
        _ = gateway.Host.Services; // the host configured Hangfire's type resolver
        var id = Guid.CreateVersion7();

        var job = InvocationData.DeserializePayload(payload.Replace("{0}", id.ToString(), StringComparison.Ordinal)).DeserializeJob();

        Assert.Equal(contract, job.Type);
        Assert.Equal(id, job.Args[0]);
    }

    [Fact]
    public async Task An_old_apply_payload_left_in_the_outbox_still_applies_the_registry()
    {
        var registry = new Registry
        {
            Tenant = "legacy-jobs", Cluster = "sandbox", Namespace = "legacy-" + Guid.NewGuid().ToString("N")[..8], Name = "legacy-registry",
            Spec = new RegistrySpec([], null, null, null, [], new Dictionary<string, string>(), null),
        };
        var rows = new NewRowBatch();
        rows.Add(registry);
        rows.MoveTo(registry, RegistryState.Accepted, "RequestAccepted", "Accepted.", registry.CreatedAt);
        rows.EnqueueJob(new PreparedJob(ApplyPayload.Replace("{0}", registry.Id.ToString(), StringComparison.Ordinal)));
        await gateway.WithDbAsync(async db =>
        {
            await gateway.Host.Services.GetRequiredService<NewRowsWriter>().InsertAsync(db, rows, CancellationToken.None);
            return 0;
        });

        // A hang guard, not a timing: the apply takes well under a second here.
        var state = RegistryState.Accepted;
        for (var waited = TimeSpan.Zero; state == RegistryState.Accepted && waited < TimeSpan.FromSeconds(60); waited += TimeSpan.FromMilliseconds(200))
        {
            await Task.Delay(200);
            state = await gateway.WithDbAsync(db => db.Registries.AsNoTracking().Where(r => r.Id == registry.Id).Select(r => r.State).SingleAsync());
        }

        Assert.Contains(state, new[] { RegistryState.Applying, RegistryState.Progressing, RegistryState.Available, RegistryState.Ready });
    }
}
