using QuayGateway.Hosting;

namespace QuayGateway.Audit;

public static class AuditSetup
{
    /// <summary>The audit log: options, the recorder and its writer.</summary>
    public static WebApplicationBuilder AddAudit(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<AuditOptions>().BindConfiguration(AuditOptions.Section);
        builder.DocumentValues<AuditEntryResponse>(nameof(AuditEntryResponse.Outcome), AuditOutcomes.All)
            .DocumentAuditExamples();
        builder.Services.AddSingleton<AuditMetrics>();
        builder.Services.AddSingleton<AuditRecorder>();
        builder.Services.AddHostedService<AuditWriter>();
        return builder;
    }

    /// <summary>Records writes; first in the pipeline, so it sees the status every answer ends with.</summary>
    public static WebApplication UseAuditLog(this WebApplication app)
    {
        app.Use(AuditMiddleware.InvokeAsync);
        return app;
    }
}
