using System.Runtime.CompilerServices;
using Microsoft.Extensions.Hosting;
using QuayGateway.Sandbox.Faults;
using QuayGateway.Sandbox.Kubernetes;
using QuayGateway.Sandbox.QuayApi;

namespace QuayGateway.Sandbox.Operator;

/// <summary>
/// The simulated Quay side of a sandbox cluster: the operator over the cluster's store, the per-registry Quay
/// APIs, their faults and the clock tokens expire by. Reach it as <c>cluster.Quay</c>, its faults as
/// <c>cluster.Faults.Operator</c> and <c>cluster.Faults.QuayApi</c>. It starts and stops with the cluster.
/// It knows nothing of the cluster type or its options (the cluster wires it), so dependencies run one way.
/// </summary>
public sealed class QuaySimulation : IHostedService, IAsyncDisposable
{
    private static readonly ConditionalWeakTable<SandboxFaults, QuaySimulation> ByFaults = new();

    private readonly QuayOperator _quayOperator;

    internal QuaySimulation(ObjectStore store, QuayOperatorSettings settings, ILogger? logger = null)
    {
        Api = new QuayApiSimulator(Clock, QuayApiFaults);
        _quayOperator = new QuayOperator(store, Api, OperatorFaults, Clock, settings, logger);
    }

    /// <summary>The sandbox's clock; advance it to expire Quay tokens.</summary>
    public SandboxClock Clock { get; } = new();

    /// <summary>Every registry's Quay API, picked inside a TLS tunnel by the request's Host header (see <see cref="QuayApiSimulator"/>).</summary>
    public QuayApiSimulator Api { get; }

    public OperatorFaults OperatorFaults { get; } = new();

    public QuayApiFaults QuayApiFaults { get; } = new();

    /// <summary>
    /// The wiring the sandbox host calls: the simulation as a hosted service over <paramref name="store"/>, and a
    /// startup filter that serves the Quay faults admin API (Quay itself is served over TLS, through CONNECT).
    /// </summary>
    internal static QuaySimulation AddTo(IServiceCollection services, ObjectStore store, SandboxFaults faults, QuayOperatorSettings settings)
    {
        var simulation = new QuaySimulation(store, settings);
        ByFaults.AddOrUpdate(faults, simulation);
        services.AddSingleton(simulation);
        services.AddHostedService(_ => simulation);
        services.AddSingleton<IStartupFilter>(new RoutingFilter(simulation));
        return simulation;
    }

    internal static QuaySimulation Of(SandboxFaults faults) =>
        ByFaults.TryGetValue(faults, out var simulation) ? simulation
            : throw new InvalidOperationException("This sandbox cluster runs no Quay simulation.");

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _quayOperator.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => DisposeAsync().AsTask();

    public async ValueTask DisposeAsync()
    {
        // Release held Quay requests first so the server can drain.
        QuayApiFaults.Clear();
        await _quayOperator.DisposeAsync();
    }

    /// <summary>Runs ahead of the host's own pipeline: the admin paths go to QuayAdminApi. (Quay itself is served over TLS, through CONNECT.)</summary>
    private sealed class RoutingFilter(QuaySimulation simulation) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(async (context, nextMiddleware) =>
            {
                if (!await QuayAdminApi.TryHandle(context, simulation))
                {
                    await nextMiddleware(context);
                }
            });
            next(app);
        };
    }
}

/// <summary><c>cluster.Faults.Operator</c> and <c>cluster.Faults.QuayApi</c>: the Quay simulation's faults.</summary>
public static class SandboxFaultsQuayAccess
{
    extension(SandboxFaults faults)
    {
        public OperatorFaults Operator => QuaySimulation.Of(faults).OperatorFaults;

        public QuayApiFaults QuayApi => QuaySimulation.Of(faults).QuayApiFaults;
    }
}
