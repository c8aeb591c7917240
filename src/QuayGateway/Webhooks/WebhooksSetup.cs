using Hangfire;
using QuayGateway.Hosting;
using QuayGateway.Jobs;
using QuayGateway.Webhooks.Api;
using QuayGateway.Webhooks.Delivery;
using QuayGateway.Webhooks.Model;
using QuayGateway.Webhooks.Senders;

namespace QuayGateway.Webhooks;

public static class WebhooksSetup
{
    public static WebApplicationBuilder AddWebhooks(this WebApplicationBuilder builder)
    {
        var options = WebhookOptions.From(builder.Configuration.GetSection(WebhookOptions.Section));
        var services = builder.Services;
        services.AddSingleton(options);
        builder.DocumentValues<CreateWebhookRequest>(nameof(CreateWebhookRequest.Events), WebhookEventTypes.All)
            .DocumentValues<UpdateWebhookRequest>(nameof(UpdateWebhookRequest.Events), WebhookEventTypes.All)
            .DocumentValues<WebhookResponse>(nameof(WebhookResponse.Events), WebhookEventTypes.All)
            .DocumentValues<CreatedWebhookResponse>(nameof(CreatedWebhookResponse.Events), WebhookEventTypes.All)
            .DocumentValues<DeliveryResponse>(nameof(DeliveryResponse.EventType), [.. WebhookEventTypes.All, WebhookEventTypes.Ping])
            .DocumentValues<CreateWebhookRequest>(nameof(CreateWebhookRequest.Kind), WebhookKinds.All)
            .DocumentValues<WebhookResponse>(nameof(WebhookResponse.Kind), WebhookKinds.All)
            .DocumentValues<CreatedWebhookResponse>(nameof(CreatedWebhookResponse.Kind), WebhookKinds.All)
            .DocumentWebhookExamples();
        services.AddSingleton(new DestinationGuard(options.AllowedDestinations));
        services.AddSingleton<WebhookSecretProtector>();

        services.AddHttpClient(WebhookHttp.ClientName, c => c.Timeout = options.Timeout)
            .ConfigurePrimaryHttpMessageHandler(sp => new SocketsHttpHandler
            {
                ConnectCallback = sp.GetRequiredService<DestinationGuard>().ConnectAsync,
                // A redirect or a proxy would take the request past the guard.
                AllowAutoRedirect = false,
                UseProxy = false,
                UseCookies = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            });
        services.AddSingleton<WebhookHttp>();
        services.AddSingleton<WebhookMetrics>();
        services.AddSingleton<IWebhookSender, StandardWebhookSender>();
        services.AddSingleton<IWebhookSender, JiraWebhookSender>();
        services.AddSingleton<IWebhookSender, ServiceNowWebhookSender>();

        builder.AddJobQueue(WebhookOptions.Queue, options.Workers);
        services.AddScoped<WebhookDispatcher>();
        services.AddScoped<WebhookDeliveryJob>();
        services.AddScoped<WebhookSweepJob>();
        services.AddRecurringJob(WebhookSweepJob.RecurringId, recurring =>
            recurring.AddOrUpdate<WebhookSweepJob>(WebhookSweepJob.RecurringId, job => job.RunAsync(CancellationToken.None), options.SweepCron));
        return builder;
    }

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app) => WebhooksApi.MapWebhooks(app);
}
