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

    /// <summary>The key and its claims; on a miss, read with the request's <see cref="GatewayDb"/>.</summary>
    public async Task<CachedApiKey?> FindAsync(IServiceProvider requestServices, string id, CancellationToken ct)
    {
        if (cache.TryGetValue(CacheKey(id), out CachedApiKey? found))
        {
            return found;
        }

        var key = await requestServices.GetRequiredService<GatewayDb>().ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id, ct);
        if (key is null)
        {
            return null;
        }

        found = new CachedApiKey(key, ApiKeyAuthenticationHandler.PrincipalFor(key.Id, key.Tenant, key.Scopes));
        cache.Set(CacheKey(id), found, Lifetime);
        return found;
    }

    public void Forget(string id) => cache.Remove(CacheKey(id));

    private static string CacheKey(string id) => "api-key:" + id;
}

public sealed record CachedApiKey(ApiKey Key, System.Security.Claims.ClaimsPrincipal Principal);
