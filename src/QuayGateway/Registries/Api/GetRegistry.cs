using System.Data;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Npgsql;
using QuayGateway.Hosting;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;

namespace QuayGateway.Registries.Api;

/// <summary><c>GET /v1/registries/{id}</c> with an ETag; <c>If-None-Match</c> gives 304. Another tenant's registry is 404.</summary>
public static class GetRegistry
{
    public static async Task<Results<Ok<RegistryResponse>, StatusCodeHttpResult, ProblemHttpResult>> HandleAsync(
        Guid id, ClaimsPrincipal user, RegistryReader registries, HttpContext http, CancellationToken ct)
    {
        var found = await registries.FindAsync(id, user.Tenant(), ct);
        if (found is null)
        {
            return Problems.NotFound($"Registry '{id}'");
        }

        var etag = Registry.ETagOf(found.Value.Version);
        http.Response.Headers.ETag = etag;
        return http.Request.Headers.IfNoneMatch.Contains(etag)
            ? TypedResults.StatusCode(StatusCodes.Status304NotModified)
            : TypedResults.Ok(found.Value.Registry);
    }
}

/// <summary>
/// The hottest read, straight through Npgsql: one prepared SELECT of the columns the answer shows, without renting a
/// DbContext or running EF Core's query pipeline (that took the read from ~67% to ~80% of the raw baseline's
/// throughput). The columns and their conversions (enums as text, records as jsonb) are the EF model's own, looked up
/// once, so the read cannot drift from the mapping.
/// </summary>
public sealed class RegistryReader
{
    // The answer's fields, in the order of the SELECT.
    private static readonly string[] Columns =
    [
        nameof(Registry.Id), nameof(Registry.Name), nameof(Registry.Namespace), nameof(Registry.Cluster), nameof(Registry.State),
        nameof(Registry.Health), nameof(Registry.RegistryEndpoint), nameof(Registry.CurrentVersion), nameof(Registry.Generation),
        nameof(Registry.ObservedGeneration), nameof(Registry.Conditions), nameof(Registry.Spec), nameof(Registry.CreatedAt),
        nameof(Registry.UpdatedAt), nameof(Registry.Version),
    ];

    private readonly NpgsqlDataSource _database;
    private readonly string _select;
    private readonly ValueConverter _state;
    private readonly ValueConverter _health;
    private readonly ValueConverter _conditions;
    private readonly ValueConverter _spec;

    public RegistryReader(NpgsqlDataSource database, IServiceScopeFactory scopes)
    {
        _database = database;
        using var scope = scopes.CreateScope();
        var registry = scope.ServiceProvider.GetRequiredService<GatewayDb>().Model.FindEntityType(typeof(Registry))!;
        var table = StoreObjectIdentifier.Table(registry.GetTableName()!, registry.GetSchema());
        string Column(string property) => $"\"{registry.FindProperty(property)!.GetColumnName(table)}\"";
        ValueConverter Converter(string property) => registry.FindProperty(property)!.GetTypeMapping().Converter!;
        _select = $"SELECT {string.Join(", ", Columns.Select(Column))} FROM \"{table.Schema}\".\"{table.Name}\" " +
                  $"WHERE {Column(nameof(Registry.Id))} = $1 AND {Column(nameof(Registry.Tenant))} = $2";
        (_state, _health, _conditions, _spec) = (Converter(nameof(Registry.State)), Converter(nameof(Registry.Health)),
            Converter(nameof(Registry.Conditions)), Converter(nameof(Registry.Spec)));
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

        var registry = new RegistryResponse(
            row.GetGuid(0), row.GetString(1), row.GetString(2), row.GetString(3),
            (RegistryState)_state.ConvertFromProvider(row.GetString(4))!, (RegistryHealth)_health.ConvertFromProvider(row.GetString(5))!,
            row.IsDBNull(6) ? null : row.GetString(6), row.IsDBNull(7) ? null : row.GetString(7),
            row.GetInt64(8), row.IsDBNull(9) ? null : row.GetInt64(9),
            (List<RegistryCondition>)_conditions.ConvertFromProvider(row.GetString(10))!, (RegistrySpec)_spec.ConvertFromProvider(row.GetString(11))!,
            row.GetFieldValue<DateTimeOffset>(12), row.GetFieldValue<DateTimeOffset>(13));
        return (registry, row.GetFieldValue<uint>(14));
    }
}
