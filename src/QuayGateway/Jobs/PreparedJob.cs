using System.Linq.Expressions;
using Hangfire.Common;
using Hangfire.Storage;

namespace QuayGateway.Jobs;

/// <summary>A job call as Hangfire serializes it, ready for the outbox.</summary>
public sealed record PreparedJob(string Payload)
{
    public static PreparedJob Of<T>(Expression<Func<T, Task>> call) =>
        new(InvocationData.SerializeJob(Job.FromExpression(call)).SerializePayload());
}

/// <summary>
/// A job call on one registry (or other id), serialized once with a placeholder id that <see cref="For"/> replaces:
/// the hot paths ask for jobs without building and serializing Hangfire's expression each time.
/// </summary>
public sealed class JobTemplate
{
    private static readonly string Placeholder = new Guid("00000000-7e57-4a11-9ace-401de4000000").ToString();
    private readonly string _payload;

    private JobTemplate(string payload) => _payload = payload;

    /// <summary>The call with its id as a parameter, e.g. <c>(job, id) =&gt; job.RunAsync(id, CancellationToken.None)</c>.</summary>
    public static JobTemplate Of<T>(Expression<Func<T, Guid, Task>> call)
    {
        var withPlaceholder = Expression.Lambda<Func<T, Task>>(
            new ReplaceParameter(call.Parameters[1], Expression.Constant(new Guid(Placeholder))).Visit(call.Body), call.Parameters[0]);
        var payload = PreparedJob.Of(withPlaceholder).Payload;
        return payload.Split(Placeholder).Length == 2
            ? new JobTemplate(payload)
            : throw new ArgumentException("The id must appear exactly once among the call's arguments.", nameof(call));
    }

    public PreparedJob For(Guid id) => new(_payload.Replace(Placeholder, id.ToString(), StringComparison.Ordinal));

    private sealed class ReplaceParameter(ParameterExpression parameter, Expression replacement) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => node == parameter ? replacement : node;
    }
}
