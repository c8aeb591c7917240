using System.Net.Http.Json;
using Alba;
using Microsoft.AspNetCore.Hosting;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using QuayGateway.DevServices;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Hosting;

namespace QuayGateway.Tests.Infrastructure;

/// <summary>
/// One gateway host for the whole test run, on a throwaway PostgreSQL from the project's own dev-services helper.
/// One host, because Hangfire keeps its storage in a static that several hosts would overwrite.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string AdminKey = "qgw-test-bootstrap-admin-key-3f9a";

    private DevPostgres? _postgres;

    public IAlbaHost Host { get; private set; } = null!;

    /// <summary>Everything the host logs while a test records (<see cref="CapturedLogs.Record"/>).</summary>
    public CapturedLogs Logs { get; } = new();

    public string ConnectionString => _postgres!.ConnectionString;

    public async Task InitializeAsync()
    {
        _postgres = await DevPostgres.StartThrowawayAsync();
        Host = await AlbaHost.For<Program>(builder =>
        {
            builder.UseEnvironment("Testing");
            builder.UseSetting("ConnectionStrings:Gateway", _postgres.ConnectionString);
            builder.UseSetting("Gateway:Auth:BootstrapApiKey", AdminKey);
            // The sign-in form that takes an API key (on by itself only in Development); the session tests use it.
            builder.UseSetting("Gateway:Auth:ApiKeySignIn", "true");
            builder.UseSetting("Gateway:Database:MigrateOnStartup", "true");
            // A throwaway database: its key ring may stay unencrypted (outside Development this must be said explicitly).
            builder.UseSetting("Gateway:DataProtection:AllowUnprotectedKeys", "true");
            builder.UseSetting("Gateway:Jobs:WorkerCount", "10");
            // Many tests share tenants and the in-memory server gives every anonymous caller one address; the rate
            // limit's own tests run gateways of their own.
            builder.UseSetting("Gateway:RateLimit:Tenant:RequestsPerSecond", "100000");
            builder.UseSetting("Gateway:RateLimit:Tenant:Burst", "100000");
            builder.UseSetting("Gateway:RateLimit:Anonymous:RequestsPerSecond", "100000");
            builder.UseSetting("Gateway:RateLimit:Anonymous:Burst", "100000");
            builder.UseSetting("Gateway:Clusters:sandbox:sandbox", "true");
            builder.UseSetting("Gateway:Clusters:edge:sandbox", "true");
            builder.UseSetting("Gateway:Clusters:edge:profile", "3.6");
            builder.UseSetting("Gateway:Sandbox:PhaseDelay", "00:00:00.150");
            // No Gateway:Sandbox:GatewayRoleManifest: as in Development, the gateway acts in its sandboxes as the service
            // account bound to the chart's own ClusterRole; a verb the role lacks fails with the apiserver's 403 (GatewayRbacTests).
            builder.UseSetting("Gateway:Rollout:Deadline", "00:00:20");
            builder.UseSetting("Gateway:Rollout:DeletePollInterval", "00:00:00.200");
            builder.UseSetting("Gateway:Watch:LeaderRetryInterval", "00:00:01");
            builder.UseSetting("Gateway:DefaultCluster", "sandbox");
            // Tests use many tenants without policies of their own: they may go anywhere (the tenancy tests set policies).
            builder.UseSetting("Gateway:Tenants:Default:Clusters:0", "*");
            builder.UseSetting("Gateway:Tenants:Default:Namespaces:0", "*");
            // Webhook receivers in the tests listen on loopback; retries come after a second, and are picked up within one.
            builder.UseSetting("Gateway:Webhooks:AllowedDestinations", "127.0.0.0/8");
            builder.UseSetting("Gateway:Webhooks:RetrySchedule", "1s,1s,1s");
            builder.UseSetting("Gateway:Jobs:SchedulePollingInterval", "00:00:01");
            // The lost-answer tests wait out one Quay call timeout.
            builder.UseSetting("Gateway:Quay:Timeout", "00:00:02");
            builder.ConfigureServices(services => services.AddSingleton<ILoggerProvider>(Logs));
            builder.ConfigureLogging(logging => logging.AddFilter<CapturedLogs>(null, LogLevel.Trace));
        });
    }

    public async Task DisposeAsync()
    {
        await Host.DisposeAsync();
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }

    /// <summary>An HTTP client for the in-memory server, authenticated with the given key (or none).</summary>
    public HttpClient Client(string? apiKey = AdminKey)
    {
        var client = Host.Server.CreateClient();
        if (apiKey is not null)
        {
            client.DefaultRequestHeaders.Add(ApiKeyAuthenticationHandler.Header, apiKey);
        }

        return client;
    }

    /// <summary>Creates a key for a tenant through the admin API, as an operator would.</summary>
    public async Task<string> CreateKeyAsync(string tenant, params string[] scopes)
    {
        using var response = await Client().PostAsJsonAsync("/v1/api-keys",
            new CreateApiKeyRequest($"test-{tenant}", scopes, tenant));
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync<CreatedApiKeyResponse>())!.Key;
    }

    /// <summary>
    /// An empty database of its own on the test server (named <paramref name="prefix"/> and a random suffix), for a test
    /// that migrates it itself or needs tables nothing else touches; its connection string.
    /// </summary>
    public async Task<string> CreateDatabaseAsync(string prefix)
    {
        var database = $"{prefix}_{Guid.NewGuid():N}";
        await using (var admin = new Npgsql.NpgsqlConnection(ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand($"CREATE DATABASE \"{database}\"", admin);
            await create.ExecuteNonQueryAsync();
        }

        return new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString) { Database = database }.ConnectionString;
    }

    public async Task<T> WithDbAsync<T>(Func<GatewayDb, Task<T>> action)
    {
        await using var scope = Host.Services.CreateAsyncScope();
        return await action(scope.ServiceProvider.GetRequiredService<GatewayDb>());
    }

    /// <summary>Polls until the condition holds, for background work (jobs) with no event to wait on.</summary>
    public static async Task<T> EventuallyAsync<T>(Func<Task<T>> probe, Func<T, bool> done, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var value = await probe();
            if (done(value) || DateTime.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }

    public Task<int> CountRegistriesAsync() => WithDbAsync(db => db.Registries.CountAsync());
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
