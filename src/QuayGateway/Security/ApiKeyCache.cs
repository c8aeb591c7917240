using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using QuayGateway.Persistence;

namespace QuayGateway.Security;

/// <summary>
/// Stored API keys by id, kept briefly so that a busy client does not cost a key lookup per request. The secret is
/// still checked against the stored hash on every request. A key's row changing or going (revocation) notifies every
/// replica (<see cref="ApiKeyRevocations"/>), which forgets it at once; <see cref="Lifetime"/> only bounds what a
/// lost notification could leave behind, and a listener that reconnects forgets everything. Unknown ids are not
/// cached, so random keys cannot fill the cache.
/// </summary>
public sealed class ApiKeyCache : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(30);

    private readonly MemoryCache _cache = new(new MemoryCacheOptions());

    // Bumped by every Forget and Clear: a lookup that raced one of them does not put what it read into the cache.
    private long _invalidations;

    /// <summary>The key and its claims; on a miss, read with the request's <see cref="GatewayDb"/>.</summary>
    public async Task<CachedApiKey?> FindAsync(IServiceProvider requestServices, string id, CancellationToken ct)
    {
        if (_cache.TryGetValue(id, out CachedApiKey? found))
        {
            return found;
        }

        var invalidations = Interlocked.Read(ref _invalidations);
        var key = await requestServices.GetRequiredService<GatewayDb>().ApiKeys.AsNoTracking().SingleOrDefaultAsync(k => k.Id == id, ct);
        if (key is null)
        {
            return null;
        }

        found = new CachedApiKey(key, ApiKeyAuthenticationHandler.PrincipalFor(key.Id, key.Tenant, key.Scopes));
        if (Interlocked.Read(ref _invalidations) == invalidations)
        {
            _cache.Set(id, found, Lifetime);
        }

        return found;
    }

    public void Forget(string id)
    {
        Interlocked.Increment(ref _invalidations);
        _cache.Remove(id);
    }

    public void Clear()
    {
        Interlocked.Increment(ref _invalidations);
        _cache.Clear();
    }

    public void Dispose() => _cache.Dispose();
}

public sealed record CachedApiKey(ApiKey Key, System.Security.Claims.ClaimsPrincipal Principal);
