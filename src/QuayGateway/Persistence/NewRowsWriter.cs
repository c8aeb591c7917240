using System.Collections.Concurrent;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;

namespace QuayGateway.Persistence;

/// <summary>
/// Writes a unit of work that only adds rows, such as a create (registry, timeline entry, webhook event, outbox row),
/// as one prepared statement: one round trip and one implicit transaction (it commits whole or not at all), without
/// the change tracker and without SaveChanges' change detection, command building and SQL generation on every
/// request. Each table's INSERT is generated once from the EF model, so its columns and value conversions are the
/// mapping's own. Store-generated values (identity keys, <c>xmin</c>) are left to PostgreSQL and not read back.
/// Made for the entity types it writes, and checked against the model when made (<see cref="Verify"/>).
/// </summary>
public sealed class NewRowsWriter
{
    private static readonly ConcurrentDictionary<(IEntityType Type, ulong Columns), InsertCommand> Inserts = new();
    private static readonly ConcurrentDictionary<IEntityType, IProperty[]> Properties = new();
    private static readonly ConcurrentDictionary<string, InsertStatement> Statements = new();
    private static int _insertCommands;

    private readonly HashSet<Type> _entityTypes;

    /// <summary>A writer for rows of <paramref name="entityTypes"/>, refused at once if it could not write them whole.</summary>
    public NewRowsWriter(IModel model, params Type[] entityTypes)
    {
        foreach (var type in entityTypes)
        {
            Verify(model, type);
        }

        _entityTypes = [.. entityTypes];
    }

    /// <summary>
    /// Checks that the writer writes every column the model maps for <paramref name="entityType"/>: it writes an
    /// entity's own scalar properties, so an owned type, a complex property or another entity sharing the table
    /// (columns it would silently leave out) fails here, at startup, naming the columns.
    /// </summary>
    public static void Verify(IModel model, Type entityType)
    {
        var type = model.FindEntityType(entityType) ?? throw new InvalidOperationException($"{entityType.Name} is not an entity of the model.");
        var table = StoreObjectIdentifier.Table(type.GetTableName()!, type.GetSchema());
        var written = type.GetProperties().Select(p => p.GetColumnName(table)).ToHashSet(StringComparer.Ordinal);
        var mapped = model.GetRelationalModel().FindTable(table.Name, table.Schema)!.Columns.Select(c => c.Name);
        var missing = mapped.Where(c => !written.Contains(c)).ToList();
        if (missing.Count > 0 || type.GetComplexProperties().Any())
        {
            throw new InvalidOperationException(
                $"The insert-only writer cannot write {type.DisplayName()} whole: it writes an entity's own columns, and table " +
                $"{table.Name} also maps {string.Join(", ", missing.DefaultIfEmpty("complex properties"))}. Save such rows with SaveChanges.");
        }

        if (written.Count > 64)
        {
            throw new InvalidOperationException($"{type.DisplayName()} has more than 64 columns.");
        }
    }

    /// <summary>
    /// Inserts the batch's rows in one statement (constraints are checked at its end, so the order of the rows does
    /// not matter). Nothing else on <paramref name="db"/> is written: keep its change tracker out of it.
    /// </summary>
    /// <returns>
    /// The <c>xmin</c> of the rows written (all rows a transaction inserts carry its id): a new row's version, read in
    /// the same round trip; null when the batch was empty.
    /// </returns>
    /// <exception cref="PostgresException">A constraint refused a row; nothing was written.</exception>
    public async Task<uint?> InsertAsync(DbContext db, NewRowBatch batch, CancellationToken ct)
    {
        var rows = batch.Rows;
        if (rows.Count == 0)
        {
            return null;
        }

        var inserts = new InsertCommand[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            if (!_entityTypes.Contains(rows[i].GetType()))
            {
                throw new InvalidOperationException($"This writer was not made for {rows[i].GetType().Name} rows.");
            }

            inserts[i] = InsertFor(db.Model.FindEntityType(rows[i].GetType())!, rows[i]);
        }

        var statement = StatementFor(inserts);
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            return await statement.ExecuteAsync((NpgsqlConnection)db.Database.GetDbConnection(), rows, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
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

            // The last INSERT returns its row's xmin, which is every row's: one transaction wrote them all.
            _sql = (sql.Length == 1
                ? sql[0]
                : $"WITH {string.Join(", ", sql[..^1].Select((insert, i) => $"row{i} AS ({insert})"))} {sql[^1]}") + " RETURNING xmin";
        }

        public async Task<uint> ExecuteAsync(NpgsqlConnection connection, IReadOnlyList<object> rows, CancellationToken ct)
        {
            var command = _idle.TryTake(out var idle) ? idle : NewCommand();
            command.Connection = connection;
            for (var i = 0; i < rows.Count; i++)
            {
                _inserts[i].Bind(rows[i], command.Parameters, _firstParameters[i]);
            }

            // A command that failed is left to the GC: what state a failure leaves it in is not worth reasoning about.
            // One that succeeded goes back with its last values, which were just written and answered anyway.
            var xmin = (uint)(await command.ExecuteScalarAsync(ct))!;
            command.Connection = null;
            _idle.Add(command);
            return xmin;
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
