using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace QuayGateway.Registries.Model;

/// <summary>
/// What a request carries that must not be stored in the clear: the inline config bundle and the initial user's
/// password (erased once the user exists). Encrypted with ASP.NET Data Protection, whose key ring is in PostgreSQL.
/// </summary>
public sealed record RegistrySecrets(IReadOnlyDictionary<string, string>? ConfigBundle, string? InitialUserPassword)
{
    private const string Purpose = "QuayGateway.Registries.RegistrySecrets.v1";

    public static RegistrySecrets From(CreateRegistryRequest request) =>
        new(request.ConfigBundle, request.InitialUser?.Password);

    public bool IsEmpty => ConfigBundle is null && InitialUserPassword is null;

    public string Protect(IDataProtectionProvider provider) =>
        provider.CreateProtector(Purpose).Protect(JsonSerializer.Serialize(this));

    public static RegistrySecrets Unprotect(IDataProtectionProvider provider, string? protectedValue) =>
        protectedValue is null
            ? new RegistrySecrets(null, null)
            : JsonSerializer.Deserialize<RegistrySecrets>(provider.CreateProtector(Purpose).Unprotect(protectedValue))!;
}
