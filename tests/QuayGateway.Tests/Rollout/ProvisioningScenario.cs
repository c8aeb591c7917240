using System.Net;
using System.Text;
using k8s;
using k8s.Models;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.DevServices;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Sandbox;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Rollout;

/// <summary>Shared steps of the provisioning tests: request, wait for a state, read the views, reach into the sandbox.</summary>
public sealed class ProvisioningScenario(GatewayFixture gateway)
{
    public HttpClient Client { get; } = gateway.Client();

    public static string UniqueNamespace(string prefix) => $"{prefix}-{Guid.NewGuid().ToString("N")[..6]}";

    public SandboxCluster Sandbox(string cluster = "sandbox") =>
        gateway.Host.Services.GetRequiredService<DevSandboxes>().Get(cluster);

    /// <summary>A real KubernetesClient on the sandbox, as another actor on the cluster (a person with kubectl).</summary>
    public Kubernetes Kubernetes(string cluster = "sandbox")
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(Sandbox(cluster).KubeconfigYaml));
        return new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(stream));
    }

    public async Task<RegistryResponse> CreateAsync(CreateRegistryRequest request)
    {
        using var response = await Client.PostJsonAsync("/v1/registries", request);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        return await response.ReadAsync<RegistryResponse>();
    }

    public Task<RegistryResponse> GetAsync(Guid id) => Read<RegistryResponse>($"/v1/registries/{id}");

    /// <summary>The registry's timeline, its first page (which holds all of it in these tests).</summary>
    public async Task<List<TimelineEntry>> TimelineAsync(Guid id) => [.. (await Read<TimelinePage>($"/v1/registries/{id}/events")).Items];

    public async Task<T> Read<T>(string url)
    {
        using var response = await Client.GetAsync(url);
        Assert.True(response.IsSuccessStatusCode, $"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.ReadAsync<T>();
    }

    /// <summary>
    /// The component view once it shows what <paramref name="shows"/> expects: pods, jobs and HPAs arrive through the
    /// cluster-wide watches, a moment after or before the QuayRegistry's own status.
    /// </summary>
    public async Task<Dictionary<string, ComponentView>> ComponentsAsync(Guid id, Func<Dictionary<string, ComponentView>, bool> shows) =>
        await GatewayFixture.EventuallyAsync(
            async () => (await Read<ComponentsResponse>($"/v1/registries/{id}/components")).Components.ToDictionary(c => c.Kind), shows,
            TimeSpan.FromSeconds(20));

    public async Task<RegistryResponse> WaitForAsync(Guid id, params RegistryState[] states)
    {
        var registry = await GatewayFixture.EventuallyAsync(() => GetAsync(id), r => states.Contains(r.State), TimeSpan.FromSeconds(45));
        Assert.True(states.Contains(registry.State),
            $"registry {id} is {registry.State} ({registry.Health}), expected {string.Join("/", states)}; conditions: " +
            string.Join("; ", registry.Conditions.Select(c => $"{c.Type}={c.Status} {c.Reason}: {c.Message}")));
        return registry;
    }

    public async Task CreateSecretAsync(string ns, string name, string configYaml, string cluster = "sandbox")
    {
        using var kubernetes = Kubernetes(cluster);
        try
        {
            await kubernetes.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
        {
            // exists already
        }

        await kubernetes.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = name },
            StringData = new Dictionary<string, string> { ["config.yaml"] = configYaml },
        }, ns);
    }
}
