using System.Security.Cryptography;
using System.Text;

namespace QuayGateway.Sandbox.QuayApi;

/// <summary>A user or an organization; Quay keeps both in one namespace table.</summary>
internal sealed record QuayNamespace(string Name, string Email, bool IsOrganization, string? AdminUser);

internal enum FirstUserOutcome
{
    Created,
    DatabaseNotEmpty,
    Invalid,
}

internal sealed record IssuedToken(string Username, DateTimeOffset ExpiresAt);

/// <summary>The in-memory database of one simulated Quay: namespaces and OAuth tokens.</summary>
internal sealed partial class QuayDatabase(TimeProvider clock)
{
    /// <summary>Quay's OAuth access tokens from user/initialize last 2.5 hours.</summary>
    public static readonly TimeSpan TokenLifetime = TimeSpan.FromSeconds(9000);

    private const string TokenAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    private readonly Lock _gate = new();
    private readonly List<QuayNamespace> _namespaces = [];
    private readonly Dictionary<string, IssuedToken> _tokens = new(StringComparer.Ordinal);
    private readonly byte[] _passwordKey = RandomNumberGenerator.GetBytes(32);

    public bool IsEmpty
    {
        get
        {
            lock (_gate)
            {
                return _namespaces.Count == 0;
            }
        }
    }

    /// <summary>The user a bearer token belongs to; null when unknown or expired (Quay treats both as anonymous).</summary>
    public string? UserForToken(string token)
    {
        lock (_gate)
        {
            return _tokens.TryGetValue(token, out var issued) && clock.GetUtcNow() < issued.ExpiresAt
                ? issued.Username
                : null;
        }
    }

    public QuayNamespace? Find(string name)
    {
        lock (_gate)
        {
            return _namespaces.Find(n => n.Name == name);
        }
    }

    public IReadOnlyList<QuayNamespace> Users()
    {
        lock (_gate)
        {
            return _namespaces.Where(n => !n.IsOrganization).ToList();
        }
    }

    /// <summary>
    /// Creates the first user, checking as Quay's data model does: password, then e-mail, then name rules.
    /// <paramref name="error"/> carries the data model's message when the outcome is Invalid.
    /// </summary>
    public FirstUserOutcome CreateFirstUser(string username, string password, string? email, bool emailRequired, out string? error)
    {
        lock (_gate)
        {
            // Re-checked under the lock so two racing initialize calls cannot both succeed.
            if (_namespaces.Count > 0)
            {
                error = null;
                return FirstUserOutcome.DatabaseNotEmpty;
            }

            error = QuayNames.IsValidPassword(password)
                ? AddNamespace(username, email, emailRequired, isOrganization: false, adminUser: null)
                : QuayNames.InvalidPasswordMessage;
            if (error is null)
            {
                RememberPassword(username, password);
            }

            return error is null ? FirstUserOutcome.Created : FirstUserOutcome.Invalid;
        }
    }

    public string? CreateOrganization(string name, string? email, bool emailRequired, string adminUser)
    {
        lock (_gate)
        {
            return AddNamespace(name, email, emailRequired, isOrganization: true, adminUser);
        }
    }

    public string IssueToken(string username)
    {
        var token = RandomNumberGenerator.GetString(TokenAlphabet, 40);
        lock (_gate)
        {
            _tokens[token] = new IssuedToken(username, clock.GetUtcNow() + TokenLifetime);
        }

        return token;
    }

    /// <summary>
    /// Stands in for Quay's encrypted password: 48 bytes (64 base64 characters, like the real value) that depend
    /// on the password and this database's own key, so nothing about the password can be read from it.
    /// </summary>
    public string EncryptPassword(string password) =>
        Convert.ToBase64String(HMACSHA384.HashData(_passwordKey, Encoding.UTF8.GetBytes(password)));

    private string? AddNamespace(string name, string? email, bool emailRequired, bool isOrganization, string? adminUser)
    {
        if (emailRequired && !QuayNames.IsValidEmail(email))
        {
            return $"Invalid email address: {email ?? "None"}";
        }

        if (QuayNames.NamespaceProblem(name) is { } problem)
        {
            return problem;
        }

        // Without mailing Quay stores a unique placeholder so the e-mail column stays unique.
        var stored = string.IsNullOrEmpty(email) ? Guid.NewGuid().ToString() : email;
        if (_namespaces.Any(n => n.Email == stored))
        {
            return $"Email has already been used: {stored}";
        }

        if (_namespaces.Any(n => n.Name == name))
        {
            return $"Username has already been taken: {name}";
        }

        _namespaces.Add(new QuayNamespace(name, stored, isOrganization, adminUser));
        return null;
    }
}
