using QuayGateway.Audit;
using QuayGateway.Clusters;
using QuayGateway.DevServices;
using QuayGateway.Hosting;
using QuayGateway.Jobs;
using QuayGateway.Persistence;
using QuayGateway.Quay;
using QuayGateway.Registries.Api;
using QuayGateway.Rollout;
using QuayGateway.Security;
using QuayGateway.Tenants;
using QuayGateway.Webhooks;

var builder = WebApplication.CreateBuilder(args);
builder.AddGatewayTelemetry();
builder.AddDevServices();
builder.AddGatewayPersistence();
builder.AddGatewayJson();
builder.AddGatewayProblemDetails();
builder.AddGatewaySecurity();
builder.AddGatewayRateLimiting();
builder.AddAudit();
builder.AddGatewayOpenApi();
builder.AddGatewayHealth();
builder.AddTenants();
builder.AddRegistries();
builder.AddClusters();
builder.AddRollout();
builder.AddQuay();
builder.AddWebhooks();
builder.AddGatewayJobs();

var app = builder.Build();
if (args.Contains("migrate"))
{
    return await app.RunMigrateCommandAsync();
}

app.UseAuditLog();
app.UseGatewayProblemDetails();
app.UseGatewayOpenApi();
app.UseAuthentication();
app.UseGatewayRateLimiting();
app.UseAuthorization();
app.MapGatewayHealth();
app.MapGatewayMetrics();
app.MapSignIn();
app.MapApiKeys();
app.MapTenants();
app.MapAudit();
app.MapRegistries();
app.MapQuay();
app.MapClusters();
app.MapWebhooks();
app.MapGatewayJobsDashboard();
await app.RunAsync();
return 0;

public partial class Program;
