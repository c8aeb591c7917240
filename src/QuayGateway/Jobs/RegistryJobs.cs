using Hangfire;

namespace QuayGateway.Jobs;

/// <summary>
/// The engine's work on one registry, as endpoints and the engine ask for it through the outbox. Endpoints name these
/// contracts, never the engine's classes; each is implemented once (Rollout applies and deletes, Quay bootstraps) and
/// registered for it. Retry policies sit here because Hangfire reads them from the method a job names.
/// </summary>
public interface IApplyRegistryJob
{
    [AutomaticRetry(Attempts = 8, DelaysInSeconds = [1, 2, 5, 10, 20, 40, 60, 120], OnAttemptsExceeded = AttemptsExceededAction.Fail)]
    Task RunAsync(Guid registryId, CancellationToken ct);
}

/// <inheritdoc cref="IApplyRegistryJob"/>
public interface IDeleteRegistryJob
{
    [AutomaticRetry(Attempts = 10, DelaysInSeconds = [1, 2, 5, 10, 20, 40, 60, 120, 300, 600])]
    Task RunAsync(Guid registryId, CancellationToken ct);
}

/// <inheritdoc cref="IApplyRegistryJob"/>
public interface IBootstrapRegistryJob
{
    /// <summary>Not retried by Hangfire: Quay's user/initialize must never be repeated without a person asking.</summary>
    [AutomaticRetry(Attempts = 0)]
    Task RunAsync(Guid registryId, bool requestedByRetry, CancellationToken ct);
}

/// <summary>The registry jobs as prepared payloads for <see cref="JobOutbox.EnqueueJob(Persistence.INewRows, PreparedJob)"/>.</summary>
public static class RegistryJobs
{
    private static readonly JobTemplate ApplyTemplate = JobTemplate.Of<IApplyRegistryJob>((job, id) => job.RunAsync(id, CancellationToken.None));
    private static readonly JobTemplate DeleteTemplate = JobTemplate.Of<IDeleteRegistryJob>((job, id) => job.RunAsync(id, CancellationToken.None));

    public static PreparedJob Apply(Guid registryId) => ApplyTemplate.For(registryId);

    public static PreparedJob Delete(Guid registryId) => DeleteTemplate.For(registryId);

    public static PreparedJob Bootstrap(Guid registryId, bool requestedByRetry) =>
        PreparedJob.Of<IBootstrapRegistryJob>(job => job.RunAsync(registryId, requestedByRetry, CancellationToken.None));

    /// <summary>
    /// Payloads stored before these contracts existed name the implementing classes; they run as the contract, with
    /// its retry policy. Hangfire asks this for every type name it reads.
    /// </summary>
    public static Type ResolveType(string typeName) => typeName switch
    {
        "QuayGateway.Rollout.ApplyRegistryJob, QuayGateway" => typeof(IApplyRegistryJob),
        "QuayGateway.Rollout.DeleteRegistryJob, QuayGateway" => typeof(IDeleteRegistryJob),
        "QuayGateway.Quay.BootstrapJob, QuayGateway" => typeof(IBootstrapRegistryJob),
        _ => Hangfire.Common.TypeHelper.DefaultTypeResolver(typeName),
    };
}
