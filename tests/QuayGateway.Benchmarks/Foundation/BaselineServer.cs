using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace QuayGateway.Benchmarks.Foundation;

/// <summary>
/// The raw baseline: the same single INSERT (create) and SELECT (read) the gateway does, with plain Npgsql and no
/// validation, auth, EF Core or jobs, so that the gateway's overhead shows as a ratio.
/// </summary>
public static class BaselineServer
{
    public static async Task<(WebApplication App, string Url)> StartAsync(string connectionString)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        await using (var setup = dataSource.CreateCommand("""
            CREATE SCHEMA IF NOT EXISTS baseline;
            CREATE TABLE IF NOT EXISTS baseline.registries (
              id uuid PRIMARY KEY, tenant text NOT NULL, cluster text NOT NULL, namespace text NOT NULL, name text NOT NULL,
              state text NOT NULL, spec jsonb NOT NULL, created_at timestamptz NOT NULL, UNIQUE (cluster, namespace, name));
            """))
        {
            await setup.ExecuteNonQueryAsync();
        }

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/registries", async (HttpRequest request) =>
        {
            using var body = await JsonDocument.ParseAsync(request.Body);
            var id = Guid.CreateVersion7();
            await using var insert = dataSource.CreateCommand(
                "INSERT INTO baseline.registries VALUES ($1, 'default', 'sandbox', $2, $3, 'Accepted', $4, now())");
            insert.Parameters.Add(new() { Value = id });
            insert.Parameters.Add(new() { Value = body.RootElement.GetProperty("namespace").GetString() });
            insert.Parameters.Add(new() { Value = body.RootElement.GetProperty("name").GetString() });
            insert.Parameters.Add(new() { Value = body.RootElement.GetRawText(), NpgsqlDbType = NpgsqlDbType.Jsonb });
            await insert.ExecuteNonQueryAsync();
            return Results.Accepted($"/registries/{id}", new { id, state = "Accepted" });
        });
        app.MapGet("/registries/{id:guid}", async (Guid id) =>
        {
            await using var select = dataSource.CreateCommand("SELECT name, namespace, state, spec::text FROM baseline.registries WHERE id = $1");
            select.Parameters.Add(new() { Value = id });
            await using var reader = await select.ExecuteReaderAsync();
            return await reader.ReadAsync()
                ? Results.Ok(new { id, name = reader.GetString(0), @namespace = reader.GetString(1), state = reader.GetString(2), spec = JsonDocument.Parse(reader.GetString(3)).RootElement })
                : Results.NotFound();
        });
        await app.StartAsync();
        return (app, app.Urls.First());
    }
}
