using System.Security.Claims;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Persistence;

namespace QuayGateway.Security;

/// <summary>
/// Hears that a stored key changed or was revoked, on every replica: a trigger on <c>api_keys</c> sends the key id on
/// <see cref="Channel"/> whenever a row is updated or deleted, however that happens. The key leaves the cache, and the
/// long requests it authenticated (event streams, which hold a <see cref="Watch"/>) are cancelled. After the listener
/// reconnects, notifications may have been missed: the whole cache goes, and streams whose key is gone end.
/// Browser sessions ride the same channel: a trigger on <c>browser_sessions</c> sends <see cref="SessionPrefix"/> and
/// the session's id when a session row is deleted (signing out, or the key behind it deleted: a cascade), and streams
/// opened with that session's cookie end the same way. A session also ends at its expiry: a stream opened with its
/// cookie holds a timer for that moment (no database polling), whether or not the expired row is gone yet.
/// </summary>
public sealed class ApiKeyRevocations(
    ApiKeyCache cache, BootstrapKey bootstrap, IServiceScopeFactory scopes, TimeProvider time, ILogger<ApiKeyRevocations> logger)
    : IDatabaseNotificationHandler
{
    /// <summary>The channel the <c>api_keys</c> trigger notifies (migration <c>ApiKeyChangeNotifications</c>).</summary>
    public const string Channel = "gateway_api_key_changed";

    /// <summary>How a session's notification payload begins (migration <c>sessionstreams_SessionEndNotifications</c>).</summary>
    public const string SessionPrefix = "session:";

    private readonly Dictionary<string, Watched> _watched = new(StringComparer.Ordinal);

    string IDatabaseNotificationHandler.Channel => Channel;

    public void OnNotification(string payload)
    {
        if (!payload.StartsWith(SessionPrefix, StringComparison.Ordinal))
        {
            cache.Forget(payload);
        }

        Revoke([payload]);
    }

    public void OnListening()
    {
        cache.Clear();
        string[] watched;
        lock (_watched)
        {
            watched = [.. _watched.Keys];
        }

        if (watched.Length > 0)
        {
            // Off the listener's loop: a database round trip to find the streams whose key went while nobody listened.
            _ = Task.Run(() => EndStreamsOfMissingKeysAsync(watched));
        }
    }

    /// <summary>
    /// A token cancelled when the stored key behind <paramref name="user"/> is revoked (never for the bootstrap key or a
    /// bearer token), or when the browser session behind it ends: signed out, deleted, or reaching its expiry. Checked against the database once registered, so a
    /// revocation that landed between the request's authentication and this call is not missed.
    /// </summary>
    public async Task<Watch> WatchAsync(ClaimsPrincipal user, GatewayDb db, CancellationToken ct)
    {
        var keyId = user.FindFirstValue(ClaimTypes.NameIdentifier);
        CancellationTokenSource? expiry = null;
        if (user.Identity?.AuthenticationType == SessionAuthenticationHandler.SchemeName
            && user.FindFirstValue(SessionAuthenticationHandler.SessionClaim) is { } session)
        {
            keyId = SessionPrefix + session;
            if (long.TryParse(user.FindFirstValue(SessionAuthenticationHandler.ExpiresClaim), System.Globalization.CultureInfo.InvariantCulture, out var ms))
            {
                // One timer per stream, fired at the session's end; a stream outliving it is cut then.
                var left = DateTimeOffset.FromUnixTimeMilliseconds(ms) - time.GetUtcNow();
                expiry = new CancellationTokenSource(left > TimeSpan.Zero ? left : TimeSpan.Zero, time);
            }
        }
        else if (user.Identity?.AuthenticationType != ApiKeyAuthenticationHandler.SchemeName || keyId is null
                 || keyId == bootstrap.Principal.FindFirstValue(ClaimTypes.NameIdentifier))
        {
            return new Watch(this, null, CancellationToken.None);
        }

        CancellationToken revoked;
        lock (_watched)
        {
            if (!_watched.TryGetValue(keyId, out var entry))
            {
                _watched[keyId] = entry = new Watched();
            }

            entry.Count++;
            revoked = entry.Revoked.Token;
        }

        var watch = new Watch(this, keyId, revoked, expiry);
        if ((await PresentAsync(db, [keyId], ct)).Count == 0)
        {
            Revoke([keyId]);
        }

        return watch;
    }

    private async Task EndStreamsOfMissingKeysAsync(string[] keyIds)
    {
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<GatewayDb>();
            var present = await PresentAsync(db, keyIds, CancellationToken.None);
            Revoke(keyIds.Except(present, StringComparer.Ordinal));
        }
        catch (Exception e) when (e is Npgsql.NpgsqlException or InvalidOperationException or TimeoutException)
        {
            logger.LogWarning(e, "Could not check the keys of open event streams after the notification listener reconnected");
        }
    }

    /// <summary>Which of the watched ids (key ids and <see cref="SessionPrefix"/>ed session ids) are still stored.</summary>
    private static async Task<List<string>> PresentAsync(GatewayDb db, string[] ids, CancellationToken ct)
    {
        var keyIds = ids.Where(id => !id.StartsWith(SessionPrefix, StringComparison.Ordinal)).ToArray();
        var hashes = ids.Where(id => id.StartsWith(SessionPrefix, StringComparison.Ordinal))
            .Select(id => Convert.FromHexString(id.AsSpan(SessionPrefix.Length))).ToList();
        var present = keyIds.Length == 0
            ? []
            : await db.ApiKeys.Where(k => keyIds.Contains(k.Id)).Select(k => k.Id).ToListAsync(ct);
        if (hashes.Count > 0)
        {
            var sessions = await db.BrowserSessions.Where(s => hashes.Contains(s.TokenHash)).Select(s => s.TokenHash).ToListAsync(ct);
            present.AddRange(sessions.Select(h => SessionPrefix + Convert.ToHexStringLower(h)));
        }

        return present;
    }

    private void Revoke(IEnumerable<string> keyIds)
    {
        var revoked = new List<Watched>();
        lock (_watched)
        {
            foreach (var id in keyIds)
            {
                if (_watched.Remove(id, out var entry))
                {
                    revoked.Add(entry);
                }
            }
        }

        // Not disposed: a stream may still read its token; without a timer a source holds nothing to release.
        foreach (var entry in revoked)
        {
            entry.Revoked.Cancel();
        }
    }

    private void Release(string keyId, CancellationToken token)
    {
        lock (_watched)
        {
            if (_watched.TryGetValue(keyId, out var entry) && entry.Revoked.Token == token && --entry.Count == 0)
            {
                _watched.Remove(keyId);
            }
        }
    }

    private sealed class Watched
    {
        public CancellationTokenSource Revoked { get; } = new();
        public int Count { get; set; }
    }

    /// <summary>A long request's hold on its key; dispose it when the request ends.</summary>
    public sealed class Watch : IDisposable
    {
        private readonly ApiKeyRevocations? _owner;
        private readonly string? _keyId;
        private readonly CancellationToken _revoked;
        private readonly CancellationTokenSource? _expiry;
        private readonly CancellationTokenSource? _either;

        internal Watch(ApiKeyRevocations owner, string? keyId, CancellationToken revoked, CancellationTokenSource? expiry = null)
        {
            _owner = owner;
            _keyId = keyId;
            _revoked = revoked;
            _expiry = expiry;
            _either = expiry is null ? null : CancellationTokenSource.CreateLinkedTokenSource(revoked, expiry.Token);
            Revoked = _either?.Token ?? revoked;
        }

        /// <summary>Cancelled when the key or session is revoked, or the session expires.</summary>
        public CancellationToken Revoked { get; }

        public void Dispose()
        {
            if (_keyId is not null)
            {
                _owner?.Release(_keyId, _revoked);
            }

            _either?.Dispose();
            _expiry?.Dispose();
        }
    }
}
