using QuayGateway.DevServices;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Fuzz;

/// <summary>
/// A gateway process on a throwaway PostgreSQL with its sandbox cluster started by dev services: what the fuzzer runs
/// against, in the tests and in the benchmarks' long run alike.
/// </summary>
public sealed class FuzzGateway : IAsyncDisposable
{
    public const string AdminKey = "qgw-fuzz-bootstrap-admin-key";

    private FuzzGateway(DevPostgres postgres, GatewayProcess process)
    {
        Postgres = postgres;
        Process = process;
    }

    public DevPostgres Postgres { get; }

    public GatewayProcess Process { get; }

    public static async Task<FuzzGateway> StartAsync()
    {
        var postgres = await DevPostgres.StartThrowawayAsync();
        try
        {
            var process = await GatewayProcess.StartAsync(postgres.ConnectionString, AdminKey,
                "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:DefaultCluster=sandbox",
                // Registries become available within a second or so, so that the Quay operations are reached too.
                "--Gateway:Sandbox:PhaseDelay=00:00:00.050",
                "--Gateway:Webhooks:AllowedDestinations=127.0.0.0/8");
            return new FuzzGateway(postgres, process);
        }
        catch
        {
            await postgres.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        await Postgres.DisposeAsync();
    }
}
