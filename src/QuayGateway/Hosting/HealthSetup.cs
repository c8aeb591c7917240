using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using QuayGateway.Persistence;

namespace QuayGateway.Hosting;

public static class HealthSetup
{
    private const string ReadyTag = "ready";

    public static WebApplicationBuilder AddGatewayHealth(this WebApplicationBuilder builder)
    {
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: [ReadyTag]);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddEagerSingleton<DatabaseMetrics>();
        return builder;
    }

    /// <summary><c>/healthz</c>: the process answers. <c>/readyz</c>: PostgreSQL is reachable and migrations are applied.</summary>
    public static IEndpointRouteBuilder MapGatewayHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/healthz", new() { Predicate = _ => false }).AllowAnonymous().DisableRateLimiting().ExcludeFromDescription();
        app.MapHealthChecks("/readyz", new() { Predicate = c => c.Tags.Contains(ReadyTag) }).AllowAnonymous().DisableRateLimiting().ExcludeFromDescription();
        return app;
    }

    private sealed class DatabaseReadyCheck(GatewayDb db) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                if (!await db.Database.CanConnectAsync(ct))
                {
                    return HealthCheckResult.Unhealthy("PostgreSQL is not reachable.");
                }

                var pending = (await db.Database.GetPendingMigrationsAsync(ct)).ToList();
                return pending.Count == 0
                    ? HealthCheckResult.Healthy("PostgreSQL reachable; schema up to date.")
                    : HealthCheckResult.Unhealthy($"{pending.Count} migration(s) not applied; run 'migrate'.");
            }
            catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy("PostgreSQL is not reachable.");
            }
        }
    }
}
