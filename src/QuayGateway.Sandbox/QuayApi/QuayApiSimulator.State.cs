using System.Collections.Concurrent;

namespace QuayGateway.Sandbox.QuayApi;

// Save and restore of every registry's Quay database for the sandbox's state folder. A restored database waits until
// the operator opens that registry's Quay again (the registry is still Available after the restart), so hosts,
// config and version come from the registry as always, and only the data is carried over.
public sealed partial class QuayApiSimulator
{
    private readonly ConcurrentDictionary<string, QuayDatabaseState> _kept = new(StringComparer.Ordinal);

    /// <summary>Every open Quay's database, and those restored but not yet opened again, by registry key.</summary>
    internal IReadOnlyDictionary<string, QuayDatabaseState> SaveDatabases()
    {
        var saved = new SortedDictionary<string, QuayDatabaseState>(_kept, StringComparer.Ordinal);
        foreach (var (registry, quay) in _byRegistry)
        {
            saved[registry] = quay.Database.Save();
        }

        return saved;
    }

    /// <summary>Databases to hand to the registries' Quays when the operator opens them; before the operator starts.</summary>
    internal void RestoreDatabases(IReadOnlyDictionary<string, QuayDatabaseState> databases)
    {
        foreach (var (registry, state) in databases)
        {
            _kept[registry] = state;
        }
    }

    private QuayDatabase NewDatabase(string registry)
    {
        var database = new QuayDatabase(clock);
        if (_kept.TryRemove(registry, out var state))
        {
            database.Restore(state);
        }

        return database;
    }
}
