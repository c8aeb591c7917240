using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Clusters;
using QuayGateway.Quay;

namespace QuayGateway.Tests.Quay;

/// <summary>
/// The Quay client as the gateway builds it (<see cref="QuaySetup.AddQuay"/>: per-cluster transport, resilience), for a
/// cluster <c>direct</c> whose Quay is a test's own plain-http server on loopback, which that cluster explicitly allows
/// (<c>AllowInsecureQuay</c>, <c>AllowedQuayDestinations</c>).
/// </summary>
public sealed class DirectQuayClient : IAsyncDisposable
{
    public const string Cluster = "direct";

    private readonly WebApplication _app;

    public DirectQuayClient()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"{ClusterCatalog.Section}:{Cluster}:Kubeconfig"] = "/dev/null",
            [$"{ClusterCatalog.Section}:{Cluster}:AllowInsecureQuay"] = "true",
            [$"{ClusterCatalog.Section}:{Cluster}:AllowedQuayDestinations"] = "127.0.0.0/8",
            ["Gateway:Quay:Timeout"] = "00:00:02", // as the test host's
        });
        builder.Services.AddSingleton(new ClusterCatalog(builder.Configuration));
        builder.AddQuay();
        _app = builder.Build();
    }

    public QuayClient Client => _app.Services.GetRequiredService<QuayClient>();

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
