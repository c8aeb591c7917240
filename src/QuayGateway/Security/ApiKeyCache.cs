using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using QuayGateway.Persistence;

namespace QuayGateway.Security;

/// <summary>
/// Stored API keys by id, kept briefly so that a busy client does not cost a key lookup per request. The secret is
/// still checked against the stored hash on every request. Revoking on this replica takes effect at once; another
/// replica may accept the revoked key for up to <see cref="Lifetime"/>. Unknown ids are not cached, so random keys
/// cannot fill the cache.
/// </summary>
public sealed class ApiKeyCache(IMemoryCache cache)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    public async Task<ApiKey?> FindAsync(GatewayDb db, string id, CancellationToken ct)
    {
        if (cache.TryGetValue(CacheKey(id), out ApiKey? key))
        {
            return key;
        }

        key = await db.ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id, ct);
        if (key is not null)
        {
            cache.Set(CacheKey(id), key, Lifetime);
        }

        return key;
    }

    public void Forget(string id) => cache.Remove(CacheKey(id));

    private static string CacheKey(string id) => "api-key:" + id;
}
