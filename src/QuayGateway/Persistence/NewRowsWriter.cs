using System.Collections.Concurrent;
using System.Data;
using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.EntityFrameworkCore;
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
public sealed partial class NewRowsWriter
{
    private static readonly ConcurrentDictionary<(IEntityType Type, ulong Columns), InsertCommand> Inserts = new();
    private static readonly ConcurrentDictionary<IEntityType, IProperty[]> Properties = new();
    private static readonly ConcurrentDictionary<string, InsertStatement> Statements = new();
    private static readonly ConcurrentDictionary<(string Before, string Check, string? GroupBefore, string? GroupCheck, string Inserts), GuardedInsertStatement> GuardedStatements = new();
    private static int _insertCommands;

    private readonly HashSet<Type> _entityTypes;

    private readonly InsertGroups? _groups;

    /// <summary>A writer for rows of <paramref name="entityTypes"/>, refused at once if it could not write them whole.</summary>
    public NewRowsWriter(IModel model, params Type[] entityTypes)
        : this(model, null, null, entityTypes)
    {
    }

    /// <summary>
    /// The same, grouping concurrent guarded inserts that allow it (<see cref="InsertGuard.GroupKey"/>) into shared
    /// transactions on connections of <paramref name="groupsDatabase"/>, each group's size recorded in
    /// <c>quaygateway.database.insert_group.size</c> of <paramref name="meter"/> (the caller's: this leaf layer knows no
    /// meter name).
    /// </summary>
    public NewRowsWriter(IModel model, NpgsqlDataSource? groupsDatabase, Meter? meter, params Type[] entityTypes)
    {
        _groups = groupsDatabase is null ? null : new InsertGroups(groupsDatabase, meter);
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
        if (batch.Rows.Count == 0)
        {
            return null;
        }

        var statement = StatementFor(InsertsFor(db, batch));
        await db.Database.OpenConnectionAsync(ct);
        try
        {
            return await statement.ExecuteAsync((NpgsqlConnection)db.Database.GetDbConnection(), batch.Rows, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    /// <summary>
    /// Inserts the batch's rows only if <paramref name="guard"/> admits them, in one round trip: one Npgsql batch of two
    /// statements, the guard's <see cref="InsertGuard.Before"/> (such as taking locks), then one statement that runs the
    /// guard's check and the INSERTs, each inserting only if the check admits. Without a transaction on
    /// <paramref name="db"/>, the batch is one implicit transaction (PostgreSQL commits at its end, with no BEGIN and no
    /// COMMIT sent; a failing statement rolls back both), so transaction-scoped locks the first statement takes are
    /// held until the rows are committed. With a <see cref="InsertGuard.GroupKey"/> and no connection open on
    /// <paramref name="db"/>, the batch may instead be part of a group's transaction, written on a connection of the
    /// writer's own (see <c>InsertGroups</c>): the answer is the same, and <paramref name="ct"/> no longer cancels it once
    /// queued.
    /// </summary>
    /// <returns>The check's row as <c>readCheck</c> reads it (its columns from 1 on; column 0 is <c>admit</c>), and the <c>xmin</c> of the rows written, or null when the check did not admit them.</returns>
    /// <exception cref="PostgresException">A constraint refused a row; nothing was written.</exception>
    public async Task<(TCheck Check, uint? Version)> InsertIfAsync<TCheck>(
        DbContext db, NewRowBatch batch, InsertGuard guard, Func<NpgsqlDataReader, TCheck> readCheck, CancellationToken ct)
    {
        var statement = GuardedStatementFor(guard, InsertsFor(db, batch));
        // A caller holding its connection open (a transaction, session state, another database) has it used; otherwise
        // the insert may share a transaction with concurrent ones (see InsertGroups).
        if (guard.GroupKey is not null && _groups is not null && db.Database.GetDbConnection().State == ConnectionState.Closed)
        {
            return await _groups.InsertAsync(statement, guard, batch.Rows, readCheck);
        }

        await db.Database.OpenConnectionAsync(ct);
        try
        {
            return await statement.ExecuteAsync((NpgsqlConnection)db.Database.GetDbConnection(), guard, batch.Rows, readCheck, ct);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private InsertCommand[] InsertsFor(DbContext db, NewRowBatch batch)
    {
        var rows = batch.Rows;
        if (rows.Count == 0)
        {
            throw new InvalidOperationException("A guarded insert needs at least one row.");
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

        return inserts;
    }

    private static GuardedInsertStatement GuardedStatementFor(InsertGuard guard, InsertCommand[] inserts) =>
        GuardedStatements.GetOrAdd((guard.Before, guard.Check, guard.GroupBefore, guard.GroupCheck, string.Join(',', inserts.Select(i => i.Number))),
            static (_, state) => new GuardedInsertStatement(state.guard, state.inserts), (guard, inserts));

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

        /// <summary>
        /// The INSERT with its values numbered from <c>$</c><paramref name="parametersBefore"/> + 1; with
        /// <paramref name="onlyIf"/> (a condition on the CTE <c>guard</c>), an INSERT … SELECT that inserts only if it holds.
        /// </summary>
        public string Sql(int parametersBefore, string? onlyIf = null)
        {
            var sql = new StringBuilder($"INSERT INTO {table} (");
            sql.AppendJoin(", ", columns.Select(c => $"\"{c.Column}\""));
            sql.Append(onlyIf is null ? ") VALUES (" : ") SELECT ");
            sql.AppendJoin(", ", columns.Select((_, i) => $"${parametersBefore + i + 1}"));
            return (onlyIf is null ? sql.Append(')') : sql.Append($" FROM guard WHERE {onlyIf}")).ToString();
        }

        /// <summary>Whether every column is a scalar, so that a group's values of it can be one array parameter.</summary>
        public bool FitsArrays => columns.All(c => !c.Mapping.StoreType.EndsWith("[]", StringComparison.Ordinal));

        /// <summary>
        /// The INSERT of a group's rows in one statement: each column's values are an array parameter, numbered from
        /// <c>$</c><paramref name="parametersBefore"/> + 1, unnested in the group's order (<c>ord</c>, from 1) and joined to
        /// the CTE <c>guard</c>'s row of the same <c>ord</c>; a member's row is inserted only if its guard admits it.
        /// </summary>
        public string GroupSql(int parametersBefore)
        {
            var names = columns.Select((_, i) => $"c{i}").ToList();
            var sql = new StringBuilder($"INSERT INTO {table} (");
            sql.AppendJoin(", ", columns.Select(c => $"\"{c.Column}\""));
            sql.Append(") SELECT ").AppendJoin(", ", names.Select(n => $"r.{n}"));
            sql.Append(" FROM unnest(").AppendJoin(", ", columns.Select((_, i) => $"${parametersBefore + i + 1}"));
            sql.Append(") WITH ORDINALITY AS r(").AppendJoin(", ", names).Append(", ord)");
            return sql.Append(" JOIN guard USING (ord) WHERE guard.admit ORDER BY r.ord").ToString();
        }

        /// <summary>Adds this INSERT's group parameters: an array of <paramref name="size"/> values per column, typed by its mapping.</summary>
        public void AddArrayParameters(NpgsqlParameterCollection parameters, int size)
        {
            foreach (var (property, mapping, _) in columns)
            {
                var element = mapping.Converter?.ProviderClrType ?? mapping.ClrType;
                element = Nullable.GetUnderlyingType(element) ?? element;
                if (element.IsValueType && property.IsNullable)
                {
                    element = typeof(Nullable<>).MakeGenericType(element);
                }

                parameters.Add(new NpgsqlParameter { DataTypeName = mapping.StoreTypeNameBase + "[]", Value = Array.CreateInstance(element, size) });
            }
        }

        /// <summary>Sets this INSERT's values for <paramref name="entity"/> at <paramref name="index"/> of the arrays from parameter <paramref name="first"/> on.</summary>
        public void BindMember(object entity, NpgsqlParameterCollection parameters, int first, int index)
        {
            for (var i = 0; i < columns.Count; i++)
            {
                var (property, mapping, _) = columns[i];
                var value = property.GetGetter().GetClrValueUsingContainingEntity(entity);
                ((Array)parameters[first + i].Value!).SetValue(mapping.Converter is { } converter ? converter.ConvertToProvider(value) : value, index);
            }
        }

        /// <summary>Adds this INSERT's parameters, typed by the column mappings and without values yet.</summary>
        public void AddParameters(NpgsqlCommand command) => AddParameters(command, command.Parameters);

        /// <summary>The same, for a batch's command: <paramref name="factory"/> only makes the parameters.</summary>
        public void AddParameters(NpgsqlCommand factory, NpgsqlParameterCollection parameters)
        {
            foreach (var (property, mapping, _) in columns)
            {
                // The mapping sets the provider type (jsonb for records, text for enums) exactly as SaveChanges would.
                parameters.Add((NpgsqlParameter)mapping.CreateParameter(factory, string.Empty, null, property.IsNullable));
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

    /// <summary>
    /// A create's batch behind a guard (see <see cref="InsertIfAsync{TCheck}"/>): the guard's first statement, then
    /// <c>WITH guard AS (check), row0 AS (INSERT … SELECT … FROM guard WHERE admit), … SELECT guard.*, xmin</c>. Every
    /// part of that one statement (the check and the INSERTs) runs on one snapshot, taken when the statement starts,
    /// so after the first statement has returned. Its batches are reused with their parameters, like the commands of
    /// <see cref="InsertStatement"/>.
    /// </summary>
    private sealed class GuardedInsertStatement
    {
        private readonly string _before;
        private readonly string _sql;
        private readonly InsertCommand[] _inserts;
        private readonly int[] _firstParameters;
        private readonly int _beforeParameters;
        private readonly int _checkParameters;
        private readonly string? _groupBefore;
        private readonly string? _groupSql;
        private readonly ConcurrentBag<NpgsqlBatch> _idle = [];
        private readonly ConcurrentDictionary<int, ConcurrentBag<NpgsqlBatch>> _idleGroups = new();

        public GuardedInsertStatement(InsertGuard guard, InsertCommand[] inserts)
        {
            _before = guard.Before;
            _beforeParameters = guard.BeforeValues.Count;
            _checkParameters = guard.CheckValues.Count;
            _inserts = inserts;
            _firstParameters = new int[inserts.Length];
            var sql = new string[inserts.Length];
            var parameters = _checkParameters;
            for (var i = 0; i < inserts.Length; i++)
            {
                _firstParameters[i] = parameters;
                sql[i] = inserts[i].Sql(parameters, onlyIf: "guard.admit");
                parameters += inserts[i].ColumnCount;
            }

            // Data-modifying CTEs run exactly once, to completion, whether or not the outer SELECT reads them; the last
            // INSERT returns its row's xmin (every row's: one transaction wrote them all), null when nothing was inserted.
            _sql = $"WITH guard AS MATERIALIZED ({guard.Check}), "
                   + string.Join(", ", sql.Select((insert, i) => $"row{i} AS ({insert}{(i == sql.Length - 1 ? " RETURNING xmin" : "")})"))
                   + $" SELECT guard.*, (SELECT xmin FROM row{sql.Length - 1}) FROM guard";
            if ((guard.GroupBefore is null) != (guard.GroupCheck is null))
            {
                throw new InvalidOperationException("A guard has both a group's first statement and its check, or neither.");
            }

            if (guard is { GroupBefore: { } groupBefore, GroupCheck: { } groupCheck } && _checkParameters > 0 && inserts.All(i => i.FitsArrays))
            {
                _groupBefore = groupBefore;
                _groupSql = GroupSql(groupCheck);
            }
        }

        /// <summary>
        /// Whether a group of this statement's inserts is written whole, as two statements (<see cref="InsertGuard.GroupBefore"/>
        /// and <see cref="InsertGuard.GroupCheck"/>), rather than as two statements per insert.
        /// </summary>
        public bool WritesGroupsWhole => _groupSql is not null;

        /// <summary>
        /// <c>WITH members AS (the check values as arrays, unnested with their place ord), guard AS (group check),
        /// row0 AS (INSERT … unnested rows JOIN guard USING (ord) WHERE admit), … SELECT guard.*, xmin FROM guard ORDER BY
        /// ord</c>: the executor is set up, and each table written, once per group instead of once per create (stop 37's
        /// profile: set-up alone was 17% of PostgreSQL's time). Every value is an array parameter, so the statement's text
        /// and its parameters are the same for a group of any size: one prepared statement.
        /// </summary>
        private string GroupSql(string groupCheck)
        {
            var values = Enumerable.Range(1, _checkParameters).ToList();
            var sql = new string[_inserts.Length];
            for (var i = 0; i < _inserts.Length; i++)
            {
                sql[i] = _inserts[i].GroupSql(_firstParameters[i]);
            }

            return $"WITH members AS MATERIALIZED (SELECT * FROM unnest({string.Join(", ", values.Select(v => $"${v}"))}) "
                   + $"WITH ORDINALITY AS m({string.Join(", ", values.Select(v => $"v{v}"))}, ord)), "
                   + $"guard AS MATERIALIZED ({groupCheck}), "
                   + string.Join(", ", sql.Select((insert, i) => $"row{i} AS ({insert}{(i == sql.Length - 1 ? " RETURNING xmin" : "")})"))
                   + $" SELECT guard.*, CASE WHEN guard.admit THEN (SELECT xmin FROM row{sql.Length - 1} LIMIT 1) END FROM guard ORDER BY guard.ord";
        }

        public async Task<(TCheck Check, uint? Version)> ExecuteAsync<TCheck>(
            NpgsqlConnection connection, InsertGuard guard, IReadOnlyList<object> rows, Func<NpgsqlDataReader, TCheck> readCheck, CancellationToken ct)
        {
            var batch = _idle.TryTake(out var idle) ? idle : new NpgsqlBatch { BatchCommands = { NewBefore(), NewInsert() } };
            batch.Connection = connection;
            Bind(batch.BatchCommands[0], batch.BatchCommands[1], guard, rows);

            // As with the commands: a batch that failed is left to the GC, one that succeeded is used again.
            TCheck check;
            uint? version;
            await using (var reader = await batch.ExecuteReaderAsync(ct))
            {
                (check, version) = await ReadAsync(reader, readCheck, ct);
            }

            batch.Connection = null;
            _idle.Add(batch);
            return (check, version);
        }

        /// <summary>
        /// A batch of <paramref name="size"/> of this statement's guarded inserts (a group of them alone), its values not yet
        /// bound (<see cref="BindGroupMember"/>): one used before when there is one, so that, as for a lone insert, its
        /// parameters are not made again and Npgsql finds the batch prepared instead of parsing its SQL again. Give it
        /// back with <see cref="ReturnGroup"/> once it succeeded.
        /// </summary>
        public NpgsqlBatch RentGroup(int size)
        {
            if (_idleGroups.TryGetValue(size, out var idle) && idle.TryTake(out var batch))
            {
                return batch;
            }

            batch = new NpgsqlBatch();
            if (_groupSql is not null)
            {
                batch.BatchCommands.Add(NewGroupBefore());
                batch.BatchCommands.Add(NewGroupInsert(size));
                return batch;
            }

            for (var i = 0; i < size; i++)
            {
                batch.BatchCommands.Add(NewBefore());
                batch.BatchCommands.Add(NewInsert());
            }

            return batch;
        }

        /// <summary>Binds the values of the group's insert number <paramref name="index"/>.</summary>
        public void BindGroupMember(NpgsqlBatch batch, int index, InsertGuard guard, IReadOnlyList<object> rows)
        {
            if (_groupSql is null)
            {
                Bind(batch.BatchCommands[2 * index], batch.BatchCommands[2 * index + 1], guard, rows);
                return;
            }

            CheckValueCounts(guard);
            var size = GroupSize(batch);
            var before = batch.BatchCommands[0].Parameters;
            for (var i = 0; i < _beforeParameters; i++)
            {
                SetMemberValue(before[i], guard.BeforeValues[i], index, size);
            }

            var parameters = batch.BatchCommands[1].Parameters;
            for (var i = 0; i < _checkParameters; i++)
            {
                SetMemberValue(parameters[i], guard.CheckValues[i], index, size);
            }

            for (var i = 0; i < rows.Count; i++)
            {
                _inserts[i].BindMember(rows[i], parameters, _firstParameters[i], index);
            }
        }

        /// <summary>Keeps a group's batch that succeeded for the next group of its size.</summary>
        public void ReturnGroup(NpgsqlBatch batch)
        {
            batch.Connection = null;
            _idleGroups.GetOrAdd(GroupSize(batch), static _ => []).Add(batch);
        }

        /// <summary>
        /// Reads the answers of a group's batch from <see cref="RentGroup"/> (<paramref name="readChecks"/>, one per member,
        /// in order) from <paramref name="reader"/> positioned on its first statement's result.
        /// </summary>
        public async Task<(object? Check, uint? Version)[]> ReadGroupAsync(NpgsqlDataReader reader, Func<NpgsqlDataReader, object?>[] readChecks)
        {
            if (_groupSql is null)
            {
                return await ReadEachAsync(reader, readChecks);
            }

            var answers = new (object? Check, uint? Version)[readChecks.Length];
            await reader.NextResultAsync(); // past the group's first statement
            for (var i = 0; i < answers.Length; i++)
            {
                answers[i] = await ReadRowAsync(reader, readChecks[i], CancellationToken.None);
            }

            return answers;
        }

        // A whole group's batch: its last parameter is a column's array, made at the group's size.
        private int GroupSize(NpgsqlBatch batch) =>
            _groupSql is null ? batch.BatchCommands.Count / 2 : ((Array)batch.BatchCommands[1].Parameters[^1].Value!).Length;

        /// <summary>Sets member <paramref name="index"/>'s value in the array of a guard value, typed by the values (text, boolean, integer).</summary>
        private static void SetMemberValue(NpgsqlParameter parameter, object? value, int index, int size)
        {
            var type = value?.GetType() ?? throw new InvalidOperationException("A group's guard values cannot be null.");
            if (parameter.Value is not Array values || values.GetType().GetElementType() != type)
            {
                parameter.Value = values = Array.CreateInstance(type, size);
            }

            values.SetValue(value, index);
        }

        /// <summary>Adds this guarded insert's two statements, with their values, to <paramref name="batch"/> (a group mixing statements).</summary>
        public void AddTo(NpgsqlBatch batch, InsertGuard guard, IReadOnlyList<object> rows)
        {
            var before = NewBefore();
            var insert = NewInsert();
            Bind(before, insert, guard, rows);
            batch.BatchCommands.Add(before);
            batch.BatchCommands.Add(insert);
        }

        /// <summary>
        /// Reads this guarded insert's answer from <paramref name="reader"/> positioned on its first statement's result,
        /// and leaves it on the next statement's (false at the batch's end).
        /// </summary>
        private static async Task<(TCheck Check, uint? Version)> ReadAsync<TCheck>(NpgsqlDataReader reader, Func<NpgsqlDataReader, TCheck> readCheck, CancellationToken ct)
        {
            await reader.NextResultAsync(ct); // past the first statement's row
            var answer = await ReadRowAsync(reader, readCheck, ct);
            await reader.NextResultAsync(ct);
            return answer;
        }

        /// <summary>Reads the answers of a batch of guarded inserts that are two statements each, one after another.</summary>
        public static async Task<(object? Check, uint? Version)[]> ReadEachAsync(NpgsqlDataReader reader, Func<NpgsqlDataReader, object?>[] readChecks)
        {
            var answers = new (object? Check, uint? Version)[readChecks.Length];
            for (var i = 0; i < answers.Length; i++)
            {
                answers[i] = await ReadAsync(reader, readChecks[i], CancellationToken.None);
            }

            return answers;
        }

        /// <summary>Reads the next row of a check's result: the check's columns, then the version (the last column).</summary>
        private static async Task<(TCheck Check, uint? Version)> ReadRowAsync<TCheck>(NpgsqlDataReader reader, Func<NpgsqlDataReader, TCheck> readCheck, CancellationToken ct)
        {
            if (!await reader.ReadAsync(ct))
            {
                throw new InvalidOperationException("A guard's check must answer one row per insert.");
            }

            var check = readCheck(reader);
            var last = reader.FieldCount - 1;
            return (check, reader.IsDBNull(last) ? null : reader.GetFieldValue<uint>(last));
        }

        private void Bind(NpgsqlBatchCommand beforeCommand, NpgsqlBatchCommand insertCommand, InsertGuard guard, IReadOnlyList<object> rows)
        {
            BindBefore(beforeCommand, guard);
            var parameters = insertCommand.Parameters;
            for (var i = 0; i < _checkParameters; i++)
            {
                parameters[i].Value = guard.CheckValues[i];
            }

            for (var i = 0; i < rows.Count; i++)
            {
                _inserts[i].Bind(rows[i], parameters, _firstParameters[i]);
            }
        }

        private void BindBefore(NpgsqlBatchCommand beforeCommand, InsertGuard guard)
        {
            CheckValueCounts(guard);
            var before = beforeCommand.Parameters;
            for (var i = 0; i < _beforeParameters; i++)
            {
                before[i].Value = guard.BeforeValues[i];
            }
        }

        private void CheckValueCounts(InsertGuard guard)
        {
            if (guard.BeforeValues.Count != _beforeParameters || guard.CheckValues.Count != _checkParameters)
            {
                throw new InvalidOperationException("A guard's statements take the same number of values on every call.");
            }
        }

        private NpgsqlBatchCommand NewGroupBefore()
        {
            var before = new NpgsqlBatchCommand(_groupBefore!);
            for (var i = 0; i < _beforeParameters; i++)
            {
                before.Parameters.Add(new NpgsqlParameter()); // typed by its values when bound
            }

            return before;
        }

        private NpgsqlBatchCommand NewGroupInsert(int size)
        {
            var insert = new NpgsqlBatchCommand(_groupSql!);
            for (var i = 0; i < _checkParameters; i++)
            {
                insert.Parameters.Add(new NpgsqlParameter()); // typed by its values when bound
            }

            foreach (var command in _inserts)
            {
                command.AddArrayParameters(insert.Parameters, size);
            }

            return insert;
        }

        private NpgsqlBatchCommand NewBefore()
        {
            var before = new NpgsqlBatchCommand(_before);
            for (var i = 0; i < _beforeParameters; i++)
            {
                before.Parameters.Add(new NpgsqlParameter());
            }

            return before;
        }

        private NpgsqlBatchCommand NewInsert()
        {
            var insert = new NpgsqlBatchCommand(_sql);
            for (var i = 0; i < _checkParameters; i++)
            {
                insert.Parameters.Add(new NpgsqlParameter());
            }

            using var factory = new NpgsqlCommand();
            foreach (var command in _inserts)
            {
                command.AddParameters(factory, insert.Parameters);
            }

            return insert;
        }
    }
}

/// <summary>
/// What a guarded insert (<see cref="NewRowsWriter.InsertIfAsync{TCheck}"/>) runs before its rows, in their transaction.
/// The SQL is the cache key of the prepared batch: keep it one of a few fixed texts and pass values as parameters.
/// </summary>
/// <param name="Before">A statement of its own, run first (such as taking transaction advisory locks): the check's
/// snapshot is taken after it returned, so under READ COMMITTED the check sees what an earlier lock holder committed.</param>
/// <param name="BeforeValues">The values of <paramref name="Before"/>'s <c>$1</c>, <c>$2</c>, ….</param>
/// <param name="Check">A SELECT of exactly one row whose first column, a boolean named <c>admit</c>, says whether the rows
/// are inserted; its other columns are answered either way.</param>
/// <param name="CheckValues">The values of <paramref name="Check"/>'s <c>$1</c>, <c>$2</c>, ….</param>
/// <param name="GroupKey">When set, the insert may share one transaction with concurrent guarded inserts of the same key
/// (<see cref="NewRowsWriter.InsertIfAsync{TCheck}"/>): set it only where the guards' <paramref name="Before"/> statements,
/// run one after another in any order, cannot deadlock with each other.</param>
/// <param name="GroupBefore">With <paramref name="GroupCheck"/>, a group of these inserts is written whole, by two statements
/// whatever its size: this one, <paramref name="Before"/> for all members at once (its <c>$1</c>, <c>$2</c>, … are arrays
/// of the members' <paramref name="BeforeValues"/>, in the group's order), then <paramref name="GroupCheck"/>.</param>
/// <param name="GroupCheck">The check of the group's second statement, which checks and writes it whole:
/// <paramref name="Check"/> for all members at once, as a SELECT from the CTE <c>members</c> (a row per insert: its
/// <paramref name="CheckValues"/> as <c>v1</c>, <c>v2</c>, …, and its place <c>ord</c>, from 1) answering a row per
/// member with <paramref name="Check"/>'s columns followed by <c>ord</c>. All members are checked on one snapshot, so
/// where <paramref name="Check"/> would see the rows of the members before it (a quota's count), this must count those
/// it admits itself.</param>
public sealed record InsertGuard(
    string Before, IReadOnlyList<object> BeforeValues, string Check, IReadOnlyList<object> CheckValues,
    string? GroupKey = null, string? GroupBefore = null, string? GroupCheck = null);
