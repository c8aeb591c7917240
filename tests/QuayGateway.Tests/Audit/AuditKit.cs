using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Audit;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Audit;

/// <summary>Audit test helpers: keys with explicit scopes, and waiting for the writer to store entries.</summary>
public sealed class AuditKit(GatewayFixture gateway)
{
    public static string NewTenant(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..30];

    public static string KeyId(string key) => key.Split('_', 3)[1];

    /// <summary>A key with exactly these scopes, stored directly (as the admin API would), so a test can hold any scope.</summary>
    public async Task<string> StoreKeyAsync(string tenant, params string[] scopes)
    {
        var (id, key, hash) = ApiKeySecrets.NewKey();
        await gateway.WithDbAsync(async db =>
        {
            db.ApiKeys.Add(new ApiKey { Id = id, Tenant = tenant, Name = "audit-test", Scopes = scopes, SecretHash = hash });
            return await db.SaveChangesAsync();
        });
        return key;
    }

    public AuditRecorder Recorder => gateway.Host.Services.GetRequiredService<AuditRecorder>();

    /// <summary>The stored entries matching the filter, once there are at least <paramref name="count"/> (the writer is asynchronous).</summary>
    public async Task<List<AuditEntry>> EntriesAsync(Expression<Func<AuditEntry, bool>> filter, int count = 1) =>
        await GatewayFixture.EventuallyAsync(
            () => gateway.WithDbAsync(db => db.AuditEntries.AsNoTracking().Where(filter).OrderBy(e => e.At).ThenBy(e => e.Id).ToListAsync()),
            entries => entries.Count >= count);

    public async Task<AuditEntry> SingleAsync(Expression<Func<AuditEntry, bool>> filter) => Assert.Single(await EntriesAsync(filter));
}
