using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>
/// The Quay calls of one operation on a registry (robots, teams, quotas, pull secrets). Each call goes through
/// <see cref="QuayCredentials.CallAsync"/> on its own, so a token Quay refuses is re-minted and that call made once
/// more (or the operation ends with <c>quay-credentials-expired</c>), and no call costs an extra round trip to Quay.
/// </summary>
public sealed class QuaySession
{
    private readonly Registry _registry;
    private readonly QuayCredentials _credentials;
    private readonly CancellationToken _ct;

    internal QuaySession(Registry registry, QuayCredentials credentials, CancellationToken ct)
    {
        _registry = registry;
        _credentials = credentials;
        _ct = ct;
    }

    /// <summary>Where the calls went: the registry's checked Quay destination (set by the first call).</summary>
    public QuayTarget? Target { get; private set; }

    public CancellationToken CancellationToken => _ct;

    /// <summary>
    /// Quay's answer to <paramref name="call"/>, made with working credentials. When the call cannot be made (no
    /// credentials that work, Quay out of reach, a refused destination) the operation stops and
    /// <see cref="QuayAccess.RunAsync{T}"/> answers the problem.
    /// </summary>
    public async Task<QuayAnswer> SendAsync(Func<QuayTarget, string, CancellationToken, Task<QuayAnswer>> call)
    {
        var (answer, problem) = await _credentials.CallAsync(_registry, (target, token) =>
        {
            Target = target;
            return call(target, token, _ct);
        }, _ct);
        return answer ?? throw new QuayStopped(problem!);
    }

    /// <summary>Ends an operation from inside <see cref="SendAsync"/>; only <see cref="QuayAccess"/> catches it.</summary>
    internal sealed class QuayStopped(QuayProblem problem) : Exception(problem.Detail)
    {
        public QuayProblem Problem { get; } = problem;
    }
}

/// <summary>
/// The one way the organization resources (robots, teams, quotas, pull secrets) call a registry's Quay: an operation
/// runs with a <see cref="QuaySession"/>, and whatever keeps one of its calls from being made becomes its problem.
/// </summary>
public sealed class QuayAccess(QuayCredentials credentials)
{
    public async Task<(T? Result, QuayProblem? Problem)> RunAsync<T>(
        Registry registry, Func<QuaySession, Task<(T? Result, QuayProblem? Problem)>> operation, CancellationToken ct)
        where T : class
    {
        if (!registry.IsAvailable)
        {
            return (null, QuayProblem.NotAvailable(registry));
        }

        try
        {
            return await operation(new QuaySession(registry, credentials, ct));
        }
        catch (QuaySession.QuayStopped stopped)
        {
            return (null, stopped.Problem);
        }
    }

    /// <summary>An operation that answers only whether it worked.</summary>
    public async Task<QuayProblem?> RunAsync(Registry registry, Func<QuaySession, Task<QuayProblem?>> operation, CancellationToken ct) =>
        (await RunAsync<object>(registry, async session => (null, await operation(session)), ct)).Problem;
}
