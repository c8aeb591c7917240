using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;

namespace QuayGateway.Security;

/// <summary>
/// Encrypts a session's OIDC ID token for <c>browser_sessions</c> with ASP.NET Data Protection (key ring in
/// PostgreSQL, so any replica can read it back at sign-out). The token names the person and is a valid logout hint,
/// so it is never stored, logged or answered in the clear.
/// </summary>
public sealed class SessionIdTokens(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("QuayGateway.Security.BrowserSession.IdToken.v1");

    public string Protect(string idToken) => _protector.Protect(idToken);

    /// <summary>The ID token, or null when it cannot be read back (a key ring that lost the key): sign-out then stays local.</summary>
    public string? TryUnprotect(string? protectedIdToken)
    {
        if (protectedIdToken is null)
        {
            return null;
        }

        try
        {
            return _protector.Unprotect(protectedIdToken);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }
}
