using Npgsql;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Persistence;

/// <summary>The chart's migration Job: <c>dotnet QuayGateway.dll migrate</c> against an empty database, in Production.</summary>
[Collection(GatewayCollection.Name)]
public sealed class MigrateCommandTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Migrate_creates_the_schema_on_an_empty_database_and_exits_zero()
    {
        var database = $"migrate_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(gateway.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(gateway.ConnectionString) { Database = database }.ConnectionString;
        // The entry point builds a second app in this process, and Hangfire keeps its storage in a static: put the
        // shared host's storage back, or later tests would read the migrate run's empty job store.
        var storage = Hangfire.JobStorage.Current;
        int exitCode;
        try
        {
            exitCode = await RunEntryPointAsync(["migrate", $"--ConnectionStrings:Gateway={connectionString}", "--environment=Production"]);
        }
        finally
        {
            Hangfire.JobStorage.Current = storage;
        }

        Assert.Equal(0, exitCode);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var query = new NpgsqlCommand(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'gateway'", connection);
        var tables = new List<string>();
        await using (var reader = await query.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                tables.Add(reader.GetString(0));
            }
        }

        Assert.Contains("__EFMigrationsHistory", tables);
        Assert.Contains("registries", tables);
        Assert.Contains("api_keys", tables);
        await using var history = new NpgsqlCommand("SELECT count(*) FROM gateway.\"__EFMigrationsHistory\"", connection);
        Assert.True((long)(await history.ExecuteScalarAsync())! > 0);
    }

    /// <summary>Runs Program's entry point (the top-level statements) like <c>dotnet QuayGateway.dll args…</c>.</summary>
    private static Task<int> RunEntryPointAsync(string[] args)
    {
        var entryPoint = typeof(Program).Assembly.EntryPoint!;
        var completion = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                var result = entryPoint.Invoke(null, [args]);
                completion.SetResult(result switch
                {
                    Task<int> task => task.GetAwaiter().GetResult(),
                    int code => code,
                    _ => 0,
                });
            }
            catch (Exception e)
            {
                completion.SetException(e);
            }
        }) { IsBackground = true, Name = "migrate entry point" };
        thread.Start();
        return completion.Task.WaitAsync(TimeSpan.FromMinutes(2));
    }
}
