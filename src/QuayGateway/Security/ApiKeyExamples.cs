using QuayGateway.Hosting;

namespace QuayGateway.Security;

/// <summary>The examples the OpenAPI document shows for the API key answers (the key of the create request's example).</summary>
public static class ApiKeyExamples
{
    private static readonly DateTimeOffset Created = new(2026, 12, 1, 8, 55, 10, TimeSpan.Zero);

    public static readonly CreatedApiKeyResponse Created201 = new(
        "3f9a1c7e2b4d", "payments-portal", "payments", [Scopes.RegistriesRead, Scopes.RegistriesWrite], Created, null,
        "qgw_3f9a1c7e2b4d_Hq3vZ8cN1rT6wY0bL5dF9gJ2sK7mP4xAe8uW1iO6yT0");

    public static readonly ApiKeyResponse Key = new(
        "3f9a1c7e2b4d", "payments-portal", "payments", [Scopes.RegistriesRead, Scopes.RegistriesWrite], Created, Created.AddDays(90));

    /// <summary>Registers the examples with the OpenAPI document.</summary>
    public static WebApplicationBuilder DocumentApiKeyExamples(this WebApplicationBuilder builder) => builder
        .DocumentExample(Created201).DocumentExample(Key);
}
