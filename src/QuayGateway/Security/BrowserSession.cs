using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace QuayGateway.Security;

/// <summary>
/// A person's signed-in browser session. The cookie carries a random token; only its SHA-256 hash is stored. A session
/// made from a stored API key goes with the key: deleting the key deletes the session (a cascade in the database).
/// </summary>
public sealed class BrowserSession
{
    public required byte[] TokenHash { get; init; }
    public required string Tenant { get; init; }
    public required string[] Scopes { get; init; }

    /// <summary>Who signed in: the OIDC subject, or the API key's id.</summary>
    public required string Subject { get; init; }

    /// <summary>The stored API key the session was made from; null for OIDC and the bootstrap key.</summary>
    public string? ApiKeyId { get; init; }
    /// <summary>
    /// The OIDC provider's ID token, encrypted with Data Protection (<see cref="SessionIdTokens"/>): sent back as
    /// <c>id_token_hint</c> when the person signs out, so the provider ends its own session too. Null for key sessions
    /// and for OIDC sessions that began before it was kept.
    /// </summary>
    public string? ProtectedIdToken { get; init; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset ExpiresAt { get; init; }
}

internal sealed class BrowserSessionConfiguration : IEntityTypeConfiguration<BrowserSession>
{
    public void Configure(EntityTypeBuilder<BrowserSession> builder)
    {
        builder.ToTable("browser_sessions");
        builder.HasKey(s => s.TokenHash);
        builder.Property(s => s.Tenant).HasMaxLength(63);
        builder.Property(s => s.Subject).HasMaxLength(200);
        builder.Property(s => s.ApiKeyId).HasMaxLength(32);
        builder.HasOne<ApiKey>().WithMany().HasForeignKey(s => s.ApiKeyId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(s => s.ExpiresAt);
    }
}
