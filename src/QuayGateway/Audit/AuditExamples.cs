using QuayGateway.Hosting;

namespace QuayGateway.Audit;

/// <summary>The example the OpenAPI document shows for the audit log: a create, and a refused delete.</summary>
public static class AuditExamples
{
    public static readonly AuditPage Page = new(
    [
        new(Guid.Parse("019ae3c6-8e1f-7a2b-9c3d-4e5f6a7b8c9d"), new DateTimeOffset(2026, 12, 1, 9, 41, 17, TimeSpan.Zero), "3f9a1c7e2b4d", "payments",
            "DeleteRegistry", "/v1/registries/019ae3c4-5b7d-7e21-9c3f-2a8d4e6f1b09", AuditOutcomes.Refused, 403, "0HNAB3CDEF124:00000003", 1),
        new(Guid.Parse("019ae3c4-5b80-7d11-8a2b-3c4d5e6f7a8b"), new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.Zero), "3f9a1c7e2b4d", "payments",
            "CreateRegistry", "/v1/registries/019ae3c4-5b7d-7e21-9c3f-2a8d4e6f1b09", AuditOutcomes.Succeeded, 202, "0HNAB3CDEF123:00000001", 1),
    ], "eyJhdCI6IjIwMjYtMTItMDFUMDk6MzA6MDBaIn0");

    /// <summary>Registers the example with the OpenAPI document.</summary>
    public static WebApplicationBuilder DocumentAuditExamples(this WebApplicationBuilder builder) => builder.DocumentExample(Page);
}
