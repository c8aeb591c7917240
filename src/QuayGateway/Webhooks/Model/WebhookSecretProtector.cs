using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;

namespace QuayGateway.Webhooks.Model;

/// <summary>Encrypts signing secrets and receiver credentials with ASP.NET Data Protection (key ring in PostgreSQL).</summary>
public sealed class WebhookSecretProtector(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("QuayGateway.Webhooks.Secrets.v1");

    public string Protect(string value) => _protector.Protect(value);

    public string Unprotect(string protectedValue) => _protector.Unprotect(protectedValue);

    public string ProtectAuth(WebhookAuth auth) => Protect(JsonSerializer.Serialize(auth));

    public WebhookAuth? UnprotectAuth(string? protectedValue) =>
        protectedValue is null ? null : JsonSerializer.Deserialize<WebhookAuth>(Unprotect(protectedValue));
}
