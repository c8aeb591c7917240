using System.Net;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Audit;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Audit;

/// <summary>A create writes its audit entry in its own transaction: the registry and its entry commit together or not at all.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AuditInTransactionTests(GatewayFixture gateway)
{
    private readonly AuditKit _kit = new(gateway);

    [Fact]
    public async Task An_accepted_create_has_its_audit_entry_stored_when_the_answer_arrives()
    {
        var tenant = AuditKit.NewTenant("audit-tx");
        var key = await _kit.StoreKeyAsync(tenant, Scopes.RegistriesWrite);

        using var response = await gateway.Client(key).PostJsonAsync("/v1/registries", new CreateRegistryRequest("in-tx", "audit-" + tenant[^8..]));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        // Read once, at once: no waiting for a writer. Exactly one entry, so the middleware did not record it again.
        var entries = await gateway.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Tenant == tenant).ToListAsync());
        var entry = Assert.Single(entries);
        Assert.Equal((AuditKit.KeyId(key), "CreateRegistry", response.Headers.Location!.OriginalString, AuditOutcomes.Succeeded, 202),
            (entry.Actor, entry.Action, entry.Target, entry.Outcome, entry.Status));
        await Task.Delay(TimeSpan.FromMilliseconds(500));
        Assert.Single(await gateway.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(e => e.Tenant == tenant).ToListAsync()));
    }

    [Fact]
    public async Task A_create_whose_audit_entry_is_refused_leaves_nothing_and_its_failure_is_recorded()
    {
        var tenant = AuditKit.NewTenant("audit-tx-fail");
        var key = await _kit.StoreKeyAsync(tenant, Scopes.RegistriesWrite);
        var actor = AuditKit.KeyId(key);
        var constraint = "audit_test_refuses_" + actor; // the id is lowercase hex
        // PostgreSQL refuses this caller's accepted-create entry only (NOT VALID: existing rows are not checked).
        await ExecuteAsync($"ALTER TABLE gateway.audit_entries ADD CONSTRAINT {constraint} CHECK (NOT (actor = '{actor}' AND status = 202)) NOT VALID");
        try
        {
            var @namespace = "audit-" + tenant[^8..];
            using var response = await gateway.Client(key).PostJsonAsync("/v1/registries", new CreateRegistryRequest("refused-entry", @namespace), idempotencyKey: tenant);

            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
            Assert.False(await gateway.WithDbAsync(db => db.Registries.AnyAsync(r => r.Tenant == tenant)));
            Assert.False(await gateway.WithDbAsync(db => db.IdempotencyRecords.AnyAsync(r => r.Tenant == tenant)));
            // The failure the client saw is recorded by the middleware, as any failed write.
            var entry = await _kit.SingleAsync(e => e.Actor == actor);
            Assert.Equal((AuditOutcomes.Failed, 500), (entry.Outcome, entry.Status));
        }
        finally
        {
            await ExecuteAsync($"ALTER TABLE gateway.audit_entries DROP CONSTRAINT {constraint}");
        }
    }

    private Task<int> ExecuteAsync(string sql) => gateway.WithDbAsync(db => db.Database.ExecuteSqlRawAsync(sql));
}
