using System.Collections.Concurrent;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using QuayGateway.Jobs;

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
    private static readonly ConcurrentDictionary<string, InsertStatement> Statements = new();
    private static int _insertCommands;

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

        var inserts = new InsertCommand[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            inserts[i] = InsertFor(db.Model.FindEntityType(rows[i].GetType())
                ?? throw new InvalidOperationException($"{rows[i].GetType().Name} is not an entity of GatewayDb."), rows[i]);
        }

        var statement = StatementFor(inserts);
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            await statement.ExecuteAsync((NpgsqlConnection)db.Database.GetDbConnection(), rows, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }

        JobOutbox.AfterCommit(db);
    }

    private static InsertStatement StatementFor(InsertCommand[] inserts) =>
        Statements.GetOrAdd(string.Join(',', inserts.Select(i => i.Number)), static (_, inserts) => new InsertStatement(inserts), inserts);

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

        /// <summary>Adds this INSERT's parameters, typed by the column mappings and without values yet.</summary>
        public void AddParameters(NpgsqlCommand command)
        {
            foreach (var (property, mapping, _) in columns)
            {
                // The mapping sets the provider type (jsonb for records, text for enums) exactly as SaveChanges would.
                command.Parameters.Add(mapping.CreateParameter(command, string.Empty, null, property.IsNullable));
            }
        }

        /// <summary>Sets this INSERT's values for <paramref name="entity"/>, from parameter <paramref name="first"/> on.</summary>
        public void Bind(object entity, NpgsqlParameterCollection parameters, int first)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                var (property, mapping, _) = columns[i];
                // The property's value converter applies as in SaveChanges (enums as text, records as JSON).
                var value = property.GetGetter().GetClrValueUsingContainingEntity(entity);
                parameters[first + i].Value = (mapping.Converter is { } converter ? converter.ConvertToProvider(value) : value) ?? DBNull.Value;
            }
        }
    }

    /// <summary>
    /// One statement for a whole unit of work: the INSERTs after the first are data-modifying CTEs, which PostgreSQL
    /// runs exactly once each, to completion, in the one statement (and constraint checks see every row). One Bind and
    /// one Execute instead of one per row, both for Npgsql and for PostgreSQL's executor. Its commands are reused with
    /// their parameters: a parameter per column per row was most of what a create allocated.
    /// </summary>
    private sealed class InsertStatement
    {
        private readonly string _sql;
        private readonly InsertCommand[] _inserts;
        private readonly int[] _firstParameters;
        private readonly ConcurrentBag<NpgsqlCommand> _idle = [];

        public InsertStatement(InsertCommand[] inserts)
        {
            _inserts = inserts;
            _firstParameters = new int[inserts.Length];
            var sql = new string[inserts.Length];
            var parameters = 0;
            for (var i = 0; i < inserts.Length; i++)
            {
                _firstParameters[i] = parameters;
                sql[i] = inserts[i].Sql(parameters);
                parameters += inserts[i].ColumnCount;
            }

            _sql = sql.Length == 1
                ? sql[0]
                : $"WITH {string.Join(", ", sql[..^1].Select((insert, i) => $"row{i} AS ({insert})"))} {sql[^1]}";
        }

        public async Task ExecuteAsync(NpgsqlConnection connection, List<object> rows, CancellationToken ct)
        {
            var command = _idle.TryTake(out var idle) ? idle : NewCommand();
            command.Connection = connection;
            for (var i = 0; i < rows.Count; i++)
            {
                _inserts[i].Bind(rows[i], command.Parameters, _firstParameters[i]);
            }

            // A command that failed is left to the GC: what state a failure leaves it in is not worth reasoning about.
            // One that succeeded goes back with its last values, which were just written and answered anyway.
            await command.ExecuteNonQueryAsync(ct);
            command.Connection = null;
            _idle.Add(command);
        }

        private NpgsqlCommand NewCommand()
        {
            var command = new NpgsqlCommand(_sql);
            foreach (var insert in _inserts)
            {
                insert.AddParameters(command);
            }

            return command;
        }
    }
}
