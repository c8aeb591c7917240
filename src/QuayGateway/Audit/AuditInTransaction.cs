namespace QuayGateway.Audit;

/// <summary>
/// A write that records its own audit entry in its transaction (the create of a registry): the change and its entry
/// commit together or not at all, with no second write after the answer. The write adds <see cref="EntryFor"/>'s entry
/// to its rows and, once they are committed, calls <see cref="MarkCommitted"/>; the middleware then records nothing
/// more for the request, unless it ends with another status (a failure after the commit is recorded as well).
/// </summary>
public static class AuditInTransaction
{
    /// <summary>
    /// The entry the middleware would record for this request ending with <paramref name="status"/> at
    /// <paramref name="target"/> (the created resource's path), as it is stored; null when the request is not audited.
    /// </summary>
    public static AuditEntry? EntryFor(HttpContext context, int status, string target) =>
        AuditMiddleware.IsAudited(context, out var action)
            ? AuditRecorder.Normalize(AuditMiddleware.Describe(context, action, target, status))
            : null;

    /// <summary>The entry from <see cref="EntryFor"/> is committed: the middleware does not record the request again.</summary>
    public static void MarkCommitted(HttpContext context, AuditEntry entry)
    {
        context.Features.Set(new Committed(entry.Status));
        context.RequestServices.GetRequiredService<AuditMetrics>().CountWritten(1);
    }

    /// <summary>The status of the entry a request committed with its write.</summary>
    internal sealed record Committed(int Status);
}
