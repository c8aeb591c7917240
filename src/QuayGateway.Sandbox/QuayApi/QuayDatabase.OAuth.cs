using System.Security.Cryptography;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>An organization's OAuth application (Quay's <c>OAuthApplication</c> row).</summary>
internal sealed record QuayOAuthApplication(
    string Organization, string Name, string ClientId, string ClientSecret, string RedirectUri, string ApplicationUri,
    string Description, string? AvatarEmail);

/// <summary>An OAuth access token minted for an application (Quay's <c>OAuthAccessToken</c> row), without its secret.</summary>
internal sealed record QuayMintedToken(
    string Uuid, string ClientId, string Username, string? Name, string Scope, DateTimeOffset Created, DateTimeOffset ExpiresAt);

/// <summary>A browser session: its CSRF token and, after <c>/api/v1/signin</c>, the signed-in user.</summary>
internal sealed record QuaySession(string CsrfToken, string? Username);

/// <summary>Passwords, OAuth applications, minted tokens and sessions.</summary>
internal sealed partial class QuayDatabase
{
    /// <summary>The scopes <c>user/initialize</c> grants its token (endpoints/web.py).</summary>
    public const string InitializeScopes = "org:admin repo:admin repo:create repo:read repo:write super:user user:admin user:read";

    /// <summary><c>DEFAULT_TOKEN_EXPIRATION_SECONDS</c>: int(60*60*24*365.25*10), the lifetime of tokens minted for an application.</summary>
    public static readonly TimeSpan MintedTokenLifetime = TimeSpan.FromSeconds(315576000);

    private static readonly string[] KnownScopes = ["repo:read", "repo:write", "repo:admin", "repo:create", "user:read", "user:admin", "org:admin", "super:user"];

    private const string SecretAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly Dictionary<string, string> _passwordHashes = new(StringComparer.Ordinal);
    private readonly List<QuayOAuthApplication> _applications = [];
    private readonly Dictionary<string, QuayMintedToken> _minted = new(StringComparer.Ordinal);
    private readonly Dictionary<string, QuaySession> _sessions = new(StringComparer.Ordinal);

    private void RememberPassword(string username, string password) => _passwordHashes[username] = EncryptPassword(password);

    /// <summary>Database authentication: the user exists and the password matches.</summary>
    public bool VerifyPassword(string username, string password)
    {
        lock (_gate)
        {
            return _passwordHashes.TryGetValue(username, out var hash) && hash == EncryptPassword(password);
        }
    }

    /// <summary>The scope of a valid token: what it was minted with, or the initialize token's scopes.</summary>
    public string? ScopeOfToken(string token)
    {
        lock (_gate)
        {
            if (!_tokens.TryGetValue(token, out var issued) || clock.GetUtcNow() >= issued.ExpiresAt)
            {
                return null;
            }

            return _minted.TryGetValue(token, out var minted) ? minted.Scope : InitializeScopes;
        }
    }

    public IReadOnlyList<QuayNamespace> OrganizationsAdministeredBy(string user)
    {
        lock (_gate)
        {
            return _namespaces.Where(n => n.IsOrganization && n.AdminUser == user).ToList();
        }
    }

    public bool IsOrganizationAdmin(string user, string organization) => Find(organization) is { IsOrganization: true } org && org.AdminUser == user;

    public QuayOAuthApplication CreateApplication(string organization, string name, string applicationUri, string redirectUri, string description, string? avatarEmail)
    {
        var application = new QuayOAuthApplication(organization, name, RandomNumberGenerator.GetString(SecretAlphabet, 20),
            RandomNumberGenerator.GetString(SecretAlphabet, 40), redirectUri, applicationUri, description, avatarEmail);
        lock (_gate)
        {
            _applications.Add(application);
        }

        return application;
    }

    public IReadOnlyList<QuayOAuthApplication> ApplicationsOf(string organization)
    {
        lock (_gate)
        {
            return _applications.Where(a => a.Organization == organization).ToList();
        }
    }

    public QuayOAuthApplication? FindApplication(string clientId)
    {
        lock (_gate)
        {
            return _applications.Find(a => a.ClientId == clientId);
        }
    }

    /// <summary>Mints a token for the application: 40 characters (Quay's ACCESS_TOKEN_PREFIX_LENGTH 20 plus a 20-character secret).</summary>
    public (string Token, QuayMintedToken Record) MintToken(QuayOAuthApplication application, string username, string scope, TimeSpan lifetime, string? name)
    {
        var token = RandomNumberGenerator.GetString(SecretAlphabet, 40);
        var now = clock.GetUtcNow();
        var record = new QuayMintedToken(Guid.NewGuid().ToString(), application.ClientId, username, name, scope, now, now + lifetime);
        lock (_gate)
        {
            _tokens[token] = new IssuedToken(username, record.ExpiresAt);
            _minted[token] = record;
        }

        return (token, record);
    }

    public IReadOnlyList<QuayMintedToken> TokensOf(string clientId)
    {
        lock (_gate)
        {
            return _minted.Values.Where(t => t.ClientId == clientId && clock.GetUtcNow() < t.ExpiresAt).OrderBy(t => t.Created).ToList();
        }
    }

    public bool DeleteToken(string clientId, string uuid)
    {
        lock (_gate)
        {
            var found = _minted.FirstOrDefault(t => t.Value.ClientId == clientId && t.Value.Uuid == uuid).Key;
            if (found is null)
            {
                return false;
            }

            _minted.Remove(found);
            _tokens.Remove(found);
            return true;
        }
    }

    /// <summary>Revokes every access token (as deleting them in Quay's UI or database would); returns how many.</summary>
    public int RevokeAllTokens()
    {
        lock (_gate)
        {
            var count = _tokens.Count;
            _tokens.Clear();
            _minted.Clear();
            return count;
        }
    }

    /// <summary>The session named by the cookie, or a new one (Flask creates the session on first use).</summary>
    public (string Id, QuaySession Session) Session(string? id)
    {
        lock (_gate)
        {
            if (id is not null && _sessions.TryGetValue(id, out var existing))
            {
                return (id, existing);
            }

            var created = new QuaySession(Convert.ToBase64String(RandomNumberGenerator.GetBytes(48)).Replace('+', '-').Replace('/', '_'), null);
            var newId = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
            _sessions[newId] = created;
            return (newId, created);
        }
    }

    public QuaySession? ExistingSession(string? id)
    {
        lock (_gate)
        {
            return id is not null && _sessions.TryGetValue(id, out var session) ? session : null;
        }
    }

    public void SignIn(string id, string username)
    {
        lock (_gate)
        {
            if (_sessions.TryGetValue(id, out var session))
            {
                _sessions[id] = session with { Username = username };
            }
        }
    }

    /// <summary><c>scopes.validate_scope_string</c>: space- or comma-separated, every scope known, at least one.</summary>
    public static bool IsValidScope(string? scope)
    {
        var parts = SplitScope(scope);
        return parts.Length > 0 && parts.All(KnownScopes.Contains);
    }

    /// <summary><c>normalize_scope</c>: commas become spaces, duplicates go, order stays.</summary>
    public static string NormalizeScope(string scope) => string.Join(' ', SplitScope(scope).Distinct(StringComparer.Ordinal));

    /// <summary><c>scopes.is_subset_string</c>, with repo:admin implying write and read, and write implying read.</summary>
    public static bool IsSubset(string full, string expected)
    {
        var have = SplitScope(full).SelectMany(s => s switch
        {
            "repo:admin" => new[] { "repo:admin", "repo:write", "repo:read" },
            "repo:write" => new[] { "repo:write", "repo:read" },
            _ => new[] { s },
        }).ToHashSet(StringComparer.Ordinal);
        return have.Count > 0 && SplitScope(expected).All(have.Contains);
    }

    private static string[] SplitScope(string? scope) =>
        (scope ?? "").Split([' ', ','], StringSplitOptions.RemoveEmptyEntries);
}
