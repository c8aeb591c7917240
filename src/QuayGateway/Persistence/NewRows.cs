using System.Collections.Concurrent;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using QuayGateway.Hosting;

namespace QuayGateway.Persistence;

/// <summary>
/// Saves a unit of work that only adds rows, such as a create (registry, timeline entry, webhook event, outbox row),
/// as one prepared statement: one round trip and one implicit transaction (it commits whole or not at all), without
/// the change tracker and without SaveChanges' change detection, command building and SQL generation on every
/// request. Each table's INSERT is generated once from the EF model, so its columns and value conversions are the
/// mapping's own. Store-generated values (identity keys, <c>xmin</c>) are left to PostgreSQL and not read back.
/// </summary>
public static class NewRows
{
    private static readonly ConcurrentDictionary<(IEntityType Type, ulong Columns), InsertCommand> Inserts = new();
    private static readonly ConcurrentDictionary<IEntityType, IProperty[]> Properties = new();
    private static readonly ConcurrentDictionary<string, string> Statements = new();
    private static int _insertCommands;

    // EF's type mappings build parameters through a DbCommand; creating a parameter touches no command state.
    private static readonly NpgsqlCommand ParameterFactory = new();

    /// <summary>
    /// Starts an insert-only unit of work on <paramref name="db"/>: rows added with <see cref="GatewayDb.AddNew{T}"/>
    /// (directly, or by <c>MoveTo</c>, <c>AddWebhookEvent</c> and <c>EnqueueJob</c>) are kept for
    /// <see cref="InsertNewRowsAsync"/> instead of being tracked. <c>SaveChanges</c> refuses until it is finished.
    /// </summary>
    public static void BeginInsertOnly(this GatewayDb db)
    {
        if (db.InsertOnlyRows is not null)
        {
            throw new InvalidOperationException("An insert-only unit of work is already under way.");
        }

        db.InsertOnlyRows = [];
    }

    /// <summary>
    /// Inserts the rows of the insert-only unit of work in one statement (constraints are checked at its end, so the
    /// order of the rows does not matter) and ends it, whether the statement succeeds or fails.
    /// </summary>
    /// <exception cref="InvalidOperationException">No insert-only unit of work is under way, or the change tracker
    /// holds something (it would not be written): add rows with <see cref="GatewayDb.AddNew{T}"/>.</exception>
    /// <exception cref="PostgresException">A constraint refused a row; nothing was written.</exception>
    public static async Task InsertNewRowsAsync(this GatewayDb db, CancellationToken ct)
    {
        var rows = db.InsertOnlyRows ?? throw new InvalidOperationException("No insert-only unit of work is under way (BeginInsertOnly).");
        db.InsertOnlyRows = null;
        var tracker = db.ChangeTracker;
        var detectChanges = tracker.AutoDetectChangesEnabled;
        tracker.AutoDetectChangesEnabled = false; // only asking whether anything is tracked; nothing to compare
        try
        {
            if (tracker.Entries().FirstOrDefault() is { } tracked)
            {
                throw new InvalidOperationException(
                    $"{tracked.Metadata.DisplayName()} is tracked in an insert-only unit of work and would not be written; add it with AddNew.");
            }
        }
        finally
        {
            tracker.AutoDetectChangesEnabled = detectChanges;
        }

        if (rows.Count == 0)
        {
            return;
        }

        var inserts = rows.ConvertAll(row => (Insert: InsertFor(db.Model.FindEntityType(row.GetType())
            ?? throw new InvalidOperationException($"{row.GetType().Name} is not an entity of GatewayDb."), row), Entity: row));
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await using var command = new NpgsqlCommand(Statement(inserts.ConvertAll(i => i.Insert)), (NpgsqlConnection)db.Database.GetDbConnection());
            foreach (var (insert, entity) in inserts)
            {
                insert.Bind(entity, command.Parameters);
            }

            await command.ExecuteNonQueryAsync(ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        JobOutbox.AfterCommit(db);
    }

    /// <summary>
    /// One statement for the whole unit of work: the INSERTs after the first are data-modifying CTEs, which PostgreSQL
    /// runs exactly once each, to completion, in the one statement (and constraint checks see every row). One Bind and
    /// one Execute instead of one per row, both for Npgsql and for PostgreSQL's executor.
    /// </summary>
    private static string Statement(List<InsertCommand> inserts) =>
        Statements.GetOrAdd(string.Join(',', inserts.Select(i => i.Number)), static (_, inserts) =>
        {
            var sql = new List<string>();
            var parameters = 0;
            foreach (var insert in inserts)
            {
                sql.Add(insert.Sql(parameters));
                parameters += insert.ColumnCount;
            }

            return sql.Count == 1
                ? sql[0]
                : $"WITH {string.Join(", ", sql[..^1].Select((insert, i) => $"row{i} AS ({insert})"))} {sql[^1]}";
        }, inserts);

    private static InsertCommand InsertFor(IEntityType type, object entity)
    {
        // A store-generated column left at its CLR default is the store's to fill (EF's own rule): leave it out.
        var columns = 0UL;
        var properties = Properties.GetOrAdd(type, static t => t.GetProperties().Count() <= 64
            ? [.. t.GetProperties()]
            : throw new NotSupportedException($"{t.DisplayName()} has more than 64 columns."));
        for (var i = 0; i < properties.Length; i++)
        {
            var property = properties[i];
            if (property.ValueGenerated == ValueGenerated.Never || !property.GetGetter().HasSentinelValueUsingContainingEntity(entity))
            {
                columns |= 1UL << i;
            }
        }

        return Inserts.GetOrAdd((type, columns), static key => InsertCommand.Create(key.Type, key.Columns));
    }

    private sealed class InsertCommand(string table, IReadOnlyList<(IProperty Property, RelationalTypeMapping Mapping, string Column)> columns)
    {
        /// <summary>Identifies this INSERT among the cached ones, to key the statements made of them.</summary>
        public int Number { get; } = Interlocked.Increment(ref _insertCommands);

        public int ColumnCount => columns.Count;

        public static InsertCommand Create(IEntityType type, ulong included)
        {
            var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
            var columns = type.GetProperties()
                .Where((_, i) => (included & (1UL << i)) != 0)
                .Select(p => (p, (RelationalTypeMapping)p.GetRelationalTypeMapping(), p.GetColumnName(table)!))
                .ToList();
            return new InsertCommand($"\"{table.Schema}\".\"{table.Name}\"", columns);
        }

        /// <summary>The INSERT with its values numbered from <c>$</c><paramref name="parametersBefore"/> + 1.</summary>
        public string Sql(int parametersBefore)
        {
            var sql = new StringBuilder($"INSERT INTO {table} (");
            sql.AppendJoin(", ", columns.Select(c => $"\"{c.Column}\""));
            sql.Append(") VALUES (");
            sql.AppendJoin(", ", columns.Select((_, i) => $"${parametersBefore + i + 1}"));
            return sql.Append(')').ToString();
        }

        public void Bind(object entity, NpgsqlParameterCollection parameters)
        {
            foreach (var (property, mapping, _) in columns)
            {
                // The mapping applies the property's value converter (enums as text, records as jsonb) and sets the
                // provider type, exactly as SaveChanges would.
                var value = property.GetGetter().GetClrValueUsingContainingEntity(entity);
                parameters.Add(mapping.CreateParameter(ParameterFactory, string.Empty, value, property.IsNullable));
            }
        }
    }
}
