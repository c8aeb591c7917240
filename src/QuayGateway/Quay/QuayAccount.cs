using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>
/// The gateway's hold on one registry's Quay: the first user, what became of initializing it, its OAuth token
/// (encrypted, see <see cref="QuayTokenVault"/>) and the organizations created with it.
/// </summary>
public sealed class QuayAccount
{
    public Guid RegistryId { get; init; }
    public required string Username { get; set; }
    public required string Email { get; set; }
    public QuayAccountStatus Status { get; set; } = QuayAccountStatus.Unconfirmed;

    /// <summary>When the last user/initialize call was sent.</summary>
    public DateTimeOffset AttemptedAt { get; set; }

    /// <summary>Set while a user/initialize call is in flight, so a second caller waits; it lapses if the process dies.</summary>
    public DateTimeOffset? InFlightUntil { get; set; }

    public DateTimeOffset? InitializedAt { get; set; }

    /// <summary>The token, encrypted with Data Protection; never returned after the initialize response.</summary>
    public string? ProtectedToken { get; set; }

    public DateTimeOffset? TokenExpiresAt { get; set; }

    /// <summary>What the stored token is: the 2.5-hour initialize token, one the gateway minted, or one an operator supplied.</summary>
    public QuayCredentialKind CredentialKind { get; set; } = QuayCredentialKind.Initialize;

    /// <summary>
    /// The token's OAuth scopes (space-separated): granted ones for a minted or initialize token, the verified lower
    /// bound for a supplied one (<see cref="QuayTokenScopes"/>).
    /// </summary>
    public string? Scopes { get; set; }

    /// <summary>
    /// The scopes to mint a new token with: the granted ones, or the initialize token's when the stored ones are only a
    /// supplied token's lower bound (minting with that would narrow the gateway's access).
    /// </summary>
    public string ScopesToMint => CredentialKind == QuayCredentialKind.Supplied || Scopes is null ? QuayTokenMinter.InitializeScopes : Scopes;

    /// <summary>The Quay user the credentials act as (the first user, or who an operator named).</summary>
    public string? CredentialUser { get; set; }

    /// <summary>The user's password, encrypted; kept only while minting needs it, or for re-minting when allowed.</summary>
    public string? ProtectedPassword { get; set; }

    /// <summary>The automation organization and its OAuth application the durable token belongs to.</summary>
    public string? AutomationOrganization { get; set; }

    public string? ClientId { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    /// <summary>Why the credentials last failed (Quay's answer, never a secret); cleared when they work again.</summary>
    public string? LastError { get; set; }

    public DateTimeOffset? LastErrorAt { get; set; }

    /// <summary>Organizations created through the gateway, so a re-run of the bootstrap skips them.</summary>
    public List<string> Organizations { get; set; } = [];

    /// <summary>PostgreSQL's xmin: two callers claiming one initialize cannot both win.</summary>
    public uint Version { get; set; }
}

public enum QuayAccountStatus
{
    /// <summary>A user/initialize was sent and its answer is not recorded (in flight, timed out, or the process died).</summary>
    Unconfirmed,

    /// <summary>The user exists and its token is stored.</summary>
    Initialized,

    /// <summary>Quay has a user from an unconfirmed call, but its token never reached the gateway.</summary>
    TokenLost,
}

public enum QuayCredentialKind
{
    /// <summary>The token user/initialize returned (lasts 9000 s).</summary>
    Initialize,

    /// <summary>A 10-year token the gateway minted for its OAuth application.</summary>
    Minted,

    /// <summary>A token an operator supplied through <c>PUT /quay/credentials</c>.</summary>
    Supplied,
}

/// <summary>How the API names a <see cref="QuayCredentialKind"/> (<c>"kind": "minted"</c>): the one list the document shows.</summary>
public static class QuayCredentialKinds
{
    /// <summary>Every kind's API name, in declaration order.</summary>
    public static readonly IReadOnlyList<string> All = [.. Enum.GetValues<QuayCredentialKind>().Select(ApiName)];

    /// <summary>The kind's name in the API: lower case, like the other kinds the API shows.</summary>
    public static string ApiName(this QuayCredentialKind kind) => kind.ToString().ToLowerInvariant();
}

internal sealed class QuayAccountConfiguration : IEntityTypeConfiguration<QuayAccount>
{
    public void Configure(EntityTypeBuilder<QuayAccount> builder)
    {
        builder.ToTable("quay_accounts");
        builder.HasKey(a => a.RegistryId);
        builder.Property(a => a.Username).HasMaxLength(255);
        builder.Property(a => a.Email).HasMaxLength(255);
        builder.Property(a => a.Status).HasConversion<string>().HasMaxLength(20);
        builder.Property(a => a.CredentialKind).HasConversion<string>().HasMaxLength(20);
        builder.Property(a => a.Scopes).HasMaxLength(500);
        builder.Ignore(a => a.ScopesToMint);
        builder.Property(a => a.CredentialUser).HasMaxLength(255);
        builder.Property(a => a.AutomationOrganization).HasMaxLength(255);
        builder.Property(a => a.ClientId).HasMaxLength(255);
        builder.Property(a => a.LastError).HasMaxLength(2000);
        builder.Property(a => a.Organizations).HasJsonConversion();
        builder.Property(a => a.Version).IsRowVersion();
        builder.HasOne<Registry>().WithOne().HasForeignKey<QuayAccount>(a => a.RegistryId).OnDelete(DeleteBehavior.Cascade)
            .HasConstraintName("fk_quay_accounts_registries_registry_id"); // the name it had when the context named its sets
    }
}
