using QuayGateway.Persistence;
using QuayGateway.Security;

namespace QuayGateway.DevServices;

/// <summary>
/// What a laptop (and the tests) need that production brings itself, started before anything reads configuration:
/// <list type="bullet">
/// <item>in Development without <c>ConnectionStrings:Gateway</c>, a private PostgreSQL (<see cref="DevPostgres"/>);</item>
/// <item>an in-process sandbox cluster for each cluster configured <c>sandbox: true</c>, and in Development without any
/// cluster, one named <c>sandbox</c>. Each is then configured like any other cluster (kubeconfig, Quay proxy, CA
/// bundle), so nothing else in the gateway knows it is a sandbox.</item>
/// <item>in Development without <c>Gateway:Auth:BootstrapApiKey</c>, a bootstrap key kept in the
/// <see cref="DevDataFolder"/>, the same on every restart;</item>
/// </list>
/// </summary>
public static class DevServicesSetup
{
    public const string DefaultSandbox = "sandbox";

    public static WebApplicationBuilder AddDevServices(this WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (string.IsNullOrWhiteSpace(configuration.GetConnectionString(PersistenceSetup.ConnectionStringName))
            && builder.Environment.IsDevelopment())
        {
            // One database per checkout on the shared server: two checkouts never share registries or keys.
            var database = "quay_gateway_" + DevDataFolder.CheckoutKey(builder.Environment.ContentRootPath);
            var devPostgres = DevPostgres.StartPersistentAsync(database).GetAwaiter().GetResult();
            configuration[$"ConnectionStrings:{PersistenceSetup.ConnectionStringName}"] = devPostgres.ConnectionString;
        }

        if (builder.Environment.IsDevelopment() && string.IsNullOrEmpty(configuration[$"{AuthOptions.Section}:BootstrapApiKey"]))
        {
            var (key, path, created) = DevDataFolder.LoadOrCreateBootstrapKey(DevDataFolder.Resolve(configuration));
            configuration[$"{AuthOptions.Section}:BootstrapApiKey"] = key;
            // Printed, not logged: the key must not end up in a log pipeline.
            Console.WriteLine($"Development bootstrap platform:admin API key (tenant '{BootstrapKey.Tenant}'), " +
                              $"{(created ? "new, kept" : "kept")} in {path} until that file is deleted:");
            Console.WriteLine($"  X-Api-Key: {key}");
        }

        if (builder.Environment.IsDevelopment() && !configuration.GetSection("Gateway:Clusters").GetChildren().Any())
        {
            // Development without clusters gets one in-process sandbox, so the whole flow runs on a laptop.
            configuration[$"Gateway:Clusters:{DefaultSandbox}:sandbox"] = "true";
        }

        if (builder.Environment.IsDevelopment() && configuration[$"{SandboxSettings.Section}:KubeconfigPath"] is null)
        {
            // Always written where a person finds it again (and the next run overwrites it), not in a temp folder;
            // per checkout, like the sandbox's state.
            configuration[$"{SandboxSettings.Section}:KubeconfigPath"] = Path.Combine(
                DevDataFolder.CheckoutFolder(configuration, builder.Environment.ContentRootPath), DevDataFolder.KubeconfigFile);
        }

        if (builder.Environment.IsDevelopment() && configuration[$"{SandboxSettings.Section}:StateDir"] is null)
        {
            // The sandbox keeps its objects, Quay data, clock and CA here, so a restart finds its registries Ready.
            configuration[$"{SandboxSettings.Section}:StateDir"] = Path.Combine(
                DevDataFolder.CheckoutFolder(configuration, builder.Environment.ContentRootPath), DevDataFolder.SandboxStateFolder);
        }

        // A sandbox named "sandbox" is the default unless one is named, as the request examples assume.
        if (configuration["Gateway:DefaultCluster"] is null && configuration.GetValue<bool>($"Gateway:Clusters:{DefaultSandbox}:sandbox"))
        {
            configuration["Gateway:DefaultCluster"] = DefaultSandbox;
        }

        // The first hosted service: the sandboxes run, and their clusters are configured, before anything connects.
        // Not started here: a WebApplication built while the gateway's is being built would be taken for it by
        // WebApplicationFactory, which picks the first host the process builds.
        builder.Services.AddSingleton<DevSandboxes>();
        builder.Services.AddHostedService(services => services.GetRequiredService<DevSandboxes>());
        return builder;
    }
}
