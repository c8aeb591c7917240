using System.Data;
using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Npgsql;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Registries.Api;

/// <summary>
/// The hottest read, straight through Npgsql: one prepared SELECT of the columns the answer shows, without renting a
/// DbContext or running EF Core's query pipeline. The columns, the SELECT and the reads follow from
/// <see cref="RegistryResponse"/>'s fields, and each column's conversion (enums as text, records as jsonb) is the EF
/// model's own, compiled once into one reader function: a field added to the answer needs no change here.
/// </summary>
public sealed class RegistryReader
{
    private readonly NpgsqlDataSource _database;
    private readonly string _select;
    private readonly Func<NpgsqlDataReader, RegistryResponse> _read;
    private readonly int _versionOrdinal;

    public RegistryReader(NpgsqlDataSource database, IServiceScopeFactory scopes)
    {
        _database = database;
        using var scope = scopes.CreateScope();
        var registry = scope.ServiceProvider.GetRequiredService<GatewayDb>().Model.FindEntityType(typeof(Registry))!;
        var table = StoreObjectIdentifier.Table(registry.GetTableName()!, registry.GetSchema());
        var fields = RegistryResponse.Fields.Select(f => registry.FindProperty(f.Name!)
            ?? throw new InvalidOperationException($"RegistryResponse.{f.Name} has no Registry property of that name.")).ToList();
        string Column(IProperty property) => $"\"{property.GetColumnName(table)}\"";
        var version = registry.FindProperty(nameof(Registry.Version))!;
        _versionOrdinal = fields.Count;
        _select = $"SELECT {string.Join(", ", fields.Append(version).Select(Column))} FROM \"{table.Schema}\".\"{table.Name}\" " +
                  $"WHERE {Column(registry.FindProperty(nameof(Registry.Id))!)} = $1 AND {Column(registry.FindProperty(nameof(Registry.Tenant))!)} = $2";
        _read = CompileRead(fields);
    }

    /// <summary>The registry as the API shows it, and its row version for the ETag; null when the tenant has none.</summary>
    public async Task<(RegistryResponse Registry, uint Version)?> FindAsync(Guid id, string tenant, CancellationToken ct)
    {
        await using var command = _database.CreateCommand(_select);
        command.Parameters.Add(new NpgsqlParameter<Guid> { TypedValue = id });
        command.Parameters.Add(new NpgsqlParameter<string> { TypedValue = tenant });
        await using var row = await command.ExecuteReaderAsync(CommandBehavior.SingleRow, ct);
        if (!await row.ReadAsync(ct))
        {
            return null;
        }

        return (_read(row), row.GetFieldValue<uint>(_versionOrdinal));
    }

    /// <summary>
    /// <c>row =&gt; new RegistryResponse(read(0), read(1), …)</c>, where each read is the typed <c>GetFieldValue</c> of
    /// the column's provider type, through the mapping's converter, and null for a NULL column.
    /// </summary>
    private static Func<NpgsqlDataReader, RegistryResponse> CompileRead(IReadOnlyList<IProperty> properties)
    {
        var row = Expression.Parameter(typeof(NpgsqlDataReader), "row");
        var parameters = RegistryResponse.Fields;
        var arguments = properties.Select((property, i) =>
        {
            var converter = property.GetTypeMapping().Converter;
            var providerType = converter?.ProviderClrType ?? property.ClrType;
            var read = Expression.Call(row, nameof(NpgsqlDataReader.GetFieldValue), [Nullable.GetUnderlyingType(providerType) ?? providerType],
                Expression.Constant(i));
            Expression value = converter is null ? read : Expression.Invoke(converter.ConvertFromProviderExpression, read);
            var target = parameters[i].ParameterType;
            value = value.Type == target ? value : Expression.Convert(value, target);
            return property.IsNullable
                ? Expression.Condition(Expression.Call(row, nameof(NpgsqlDataReader.IsDBNull), null, Expression.Constant(i)),
                    Expression.Default(target), value)
                : value;
        });
        var create = Expression.New(RegistryResponse.Constructor, arguments);
        return Expression.Lambda<Func<NpgsqlDataReader, RegistryResponse>>(create, row).Compile();
    }
}
