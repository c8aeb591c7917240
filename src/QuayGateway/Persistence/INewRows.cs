namespace QuayGateway.Persistence;

/// <summary>
/// Where a unit of work puts the rows it creates: a <see cref="GatewayDb"/> (its change tracker, written by
/// <c>SaveChanges</c>) or a create's <see cref="NewRowBatch"/> (written by <see cref="NewRowsWriter"/> in one statement).
/// Code that only appends rows (the timeline, webhook events, the job outbox) takes this, so the same code serves both.
/// </summary>
public interface INewRows
{
    void Add<T>(T row) where T : class;

    /// <summary>A row of type <typeparamref name="T"/> this unit of work added and has not written yet, if any.</summary>
    T? FindNew<T>() where T : class;

    /// <summary>Whether <paramref name="row"/> was added in this unit of work and is not written yet.</summary>
    bool IsNew(object row);
}

/// <summary>The rows of an insert-only unit of work, such as a create: collected here, written by <see cref="NewRowsWriter"/>.</summary>
public sealed class NewRowBatch : INewRows
{
    private readonly List<object> _rows = [];

    public IReadOnlyList<object> Rows => _rows;

    public void Add<T>(T row) where T : class => _rows.Add(row);

    public T? FindNew<T>() where T : class
    {
        foreach (var row in _rows)
        {
            if (row is T match)
            {
                return match;
            }
        }

        return null;
    }

    public bool IsNew(object row) => _rows.Contains(row);
}
