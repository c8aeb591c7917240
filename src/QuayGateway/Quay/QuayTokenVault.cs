using System.Diagnostics.CodeAnalysis;
using Microsoft.AspNetCore.DataProtection;

namespace QuayGateway.Quay;

/// <summary>
/// Quay tokens at rest: encrypted with ASP.NET Data Protection (key ring in PostgreSQL, protected by the configured
/// certificate in production), opened only to make a call.
/// </summary>
public sealed class QuayTokenVault(IDataProtectionProvider provider, TimeProvider time)
{
    private const string Purpose = "QuayGateway.Quay.AccessToken.v1";

    private const string PasswordPurpose = "QuayGateway.Quay.Password.v1";

    public string Protect(string token) => provider.CreateProtector(Purpose).Protect(token);

    /// <summary>A Quay user's password, kept for minting tokens (see <see cref="QuayOptions.KeepBootstrapPassword"/>).</summary>
    public string ProtectPassword(string password) => provider.CreateProtector(PasswordPurpose).Protect(password);

    public string? OpenPassword(QuayAccount? account) =>
        account?.ProtectedPassword is { } stored ? provider.CreateProtector(PasswordPurpose).Unprotect(stored) : null;

    /// <summary>The account's token when one is stored and not expired; otherwise the problem that says which.</summary>
    public bool TryOpen(QuayAccount? account, [NotNullWhen(true)] out string? token, [NotNullWhen(false)] out QuayProblem? problem)
    {
        token = null;
        problem = account switch
        {
            { Status: QuayAccountStatus.TokenLost } => QuayProblem.TokenLost(account.Username),
            { ProtectedToken: null } or null => QuayProblem.TokenMissing(),
            { TokenExpiresAt: { } expires } when expires <= time.GetUtcNow() => QuayProblem.TokenExpired(expires),
            _ => null,
        };
        if (problem is not null)
        {
            return false;
        }

        token = provider.CreateProtector(Purpose).Unprotect(account!.ProtectedToken!);
        return true;
    }
}
