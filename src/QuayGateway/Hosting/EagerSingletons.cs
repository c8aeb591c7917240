using Microsoft.Extensions.DependencyInjection.Extensions;

namespace QuayGateway.Hosting;

/// <summary>
/// Makes a singleton when the host starts rather than on first use: for classes whose constructor registers
/// observable instruments that must report from the first scrape.
/// </summary>
public static class EagerSingletons
{
    public static IServiceCollection AddEagerSingleton<T>(this IServiceCollection services) where T : class
    {
        services.AddSingleton<T>();
        // A type of its own per T: AddHostedService would drop a second registration of one implementation type.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, Starter<T>>());
        return services;
    }

    // Being made, with T as its dependency, is all it does.
    private sealed class Starter<T> : IHostedService where T : class
    {
        public Starter(T instance) => ArgumentNullException.ThrowIfNull(instance);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
