using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using QuayGateway.Persistence;
using QuayGateway.Registries.Model;

namespace QuayGateway.Quay;

/// <summary>
/// A robot account the gateway made (or found when it was declared) in a registry's Quay: its token, encrypted with
/// Data Protection, and the pull secrets it keeps in the registry's cluster.
/// </summary>
public sealed class QuayRobotAccount
{
    public Guid Id { get; init; } = Uuid7.New();
    public Guid RegistryId { get; init; }
    public required string Organization { get; init; }
    public required string ShortName { get; init; }
    public string? Description { get; set; }

    /// <summary>The robot's token (a registry credential), encrypted; null once the robot is deleted.</summary>
    public string? ProtectedToken { get; set; }

    /// <summary>Whether the gateway created it in Quay (else it was there already and is only used).</summary>
    public bool CreatedByGateway { get; init; }

    /// <summary>The Secrets wanted in the registry's cluster.</summary>
    public List<PullSecretSpec> PullSecrets { get; set; } = [];

    /// <summary>The Secrets written so far, so ones no longer wanted (or of a deleted robot) are removed.</summary>
    public List<PullSecretSpec> WrittenPullSecrets { get; set; } = [];

    /// <summary>
    /// Wanted Secrets the job last found outside the tenant's policy (so it announces a refusal once, when it starts).
    /// </summary>
    public List<PullSecretSpec> RefusedPullSecrets { get; set; } = [];

    /// <summary>Deleted in Quay; the row stays until its pull secrets are gone.</summary>
    public bool Deleted { get; set; }

    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset TokenUpdatedAt { get; set; }

    public string FullName => $"{Organization}+{ShortName}";
}

/// <summary>A team the gateway set up: whether it created it (then its members are the declared set) and its role.</summary>
public sealed class QuayManagedTeam
{
    public Guid RegistryId { get; init; }
    public required string Organization { get; init; }
    public required string Name { get; init; }
    public bool CreatedByGateway { get; init; }
    public required string Role { get; set; }
    public List<string> Members { get; set; } = [];
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>Robot tokens at rest, with the Data Protection mechanism the Quay token uses (a purpose of their own).</summary>
public sealed class QuayRobotTokens(IDataProtectionProvider provider)
{
    private const string Purpose = "QuayGateway.Quay.RobotToken.v1";

    public string Protect(string token) => provider.CreateProtector(Purpose).Protect(token);

    public string Unprotect(string protectedToken) => provider.CreateProtector(Purpose).Unprotect(protectedToken);
}

public static class QuayOrganizationTables
{
    extension(GatewayDb db)
    {
        public DbSet<QuayRobotAccount> QuayRobots => db.Set<QuayRobotAccount>();

        public DbSet<QuayManagedTeam> QuayTeams => db.Set<QuayManagedTeam>();
    }
}

internal sealed class QuayRobotAccountConfiguration : IEntityTypeConfiguration<QuayRobotAccount>
{
    public void Configure(EntityTypeBuilder<QuayRobotAccount> builder)
    {
        builder.ToTable("quay_robots");
        builder.HasKey(r => r.Id);
        builder.Ignore(r => r.FullName);
        builder.Property(r => r.Organization).HasMaxLength(255);
        builder.Property(r => r.ShortName).HasMaxLength(255);
        builder.Property(r => r.Description).HasMaxLength(255);
        builder.Property(r => r.PullSecrets).HasJsonConversion();
        builder.Property(r => r.WrittenPullSecrets).HasJsonConversion();
        builder.Property(r => r.RefusedPullSecrets).HasJsonConversion();
        builder.HasIndex(r => new { r.RegistryId, r.Organization, r.ShortName }).IsUnique();
        builder.HasOne<Registry>().WithMany().HasForeignKey(r => r.RegistryId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class QuayManagedTeamConfiguration : IEntityTypeConfiguration<QuayManagedTeam>
{
    public void Configure(EntityTypeBuilder<QuayManagedTeam> builder)
    {
        builder.ToTable("quay_teams");
        builder.HasKey(t => new { t.RegistryId, t.Organization, t.Name });
        builder.Property(t => t.Organization).HasMaxLength(255);
        builder.Property(t => t.Name).HasMaxLength(255);
        builder.Property(t => t.Role).HasMaxLength(20);
        builder.Property(t => t.Members).HasJsonConversion();
        builder.HasOne<Registry>().WithMany().HasForeignKey(t => t.RegistryId).OnDelete(DeleteBehavior.Cascade);
    }
}
