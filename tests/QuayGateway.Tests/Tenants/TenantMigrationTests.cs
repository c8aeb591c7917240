using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tenants;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Tenants;

/// <summary>Upgrading locks no one out: the migration gives every tenant with registries or keys a policy for what it uses.</summary>
[Collection(GatewayCollection.Name)]
public sealed class TenantMigrationTests(GatewayFixture gateway)
{

    [Fact]
    public async Task The_migration_backfills_policies_for_the_tenants_already_there()
    {
        var builder = new DbContextOptionsBuilder<GatewayDb>();
        builder.UseGatewayDb(await gateway.CreateDatabaseAsync("tenants"));
        var options = builder.Options;
        await using (var before = new GatewayDb(options))
        {
            // The migration just before TenantPolicies. Rows are written with today's model, so the columns it maps must
            // exist there: a migration adding a registry or key column goes before TenantPolicies or this test says so.
            var migrations = before.Database.GetMigrations().ToList();
            var migrationBefore = migrations[migrations.FindIndex(m => m.EndsWith("_TenantPolicies", StringComparison.Ordinal)) - 1];
            await before.GetService<IMigrator>().MigrateAsync(migrationBefore);
            before.Registries.AddRange(
                Registry("with-registries", "sandbox", "payments", "r1"),
                Registry("with-registries", "edge", "payments-eu", "r2"),
                Registry("with-registries", "sandbox", "payments", "r3"));
            before.ApiKeys.Add(new ApiKey { Id = "keyonly0001", Tenant = "keys-only", Name = "portal", Scopes = [Scopes.Admin], SecretHash = new byte[32] });
            before.ApiKeys.Add(new ApiKey { Id = "keyonly0002", Tenant = "with-registries", Name = "portal", Scopes = [Scopes.RegistriesWrite], SecretHash = new byte[32] });
            await before.SaveChangesAsync();
        }

        await using var after = new GatewayDb(options);
        await after.Database.MigrateAsync();
        var policies = await after.TenantPolicies.AsNoTracking().OrderBy(p => p.Tenant).ToListAsync();

        Assert.Equal(["keys-only", "with-registries"], policies.Select(p => p.Tenant));
        var keysOnly = policies[0];
        Assert.Equal(["*"], keysOnly.Clusters);
        Assert.Equal(["*"], keysOnly.Namespaces);
        var withRegistries = policies[1];
        Assert.Equal(["edge", "sandbox"], withRegistries.Clusters);
        Assert.Equal(["payments", "payments-eu"], withRegistries.Namespaces);
        Assert.Null(withRegistries.Quotas.Registries);
        Assert.Null(withRegistries.RateLimit);
        Assert.True(withRegistries.AllowsNamespace("payments-eu"));
        Assert.False(withRegistries.AllowsNamespace("kube-system"));
    }

    private static Registry Registry(string tenant, string cluster, string ns, string name) => new()
    {
        Tenant = tenant, Cluster = cluster, Namespace = ns, Name = name, Spec = RegistrySpec.From(new CreateRegistryRequest(name, ns, cluster)),
    };
}
