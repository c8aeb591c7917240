using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using QuayGateway.Quay;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Sandbox;
using QuayGateway.Sandbox.Faults;
using QuayGateway.Sandbox.Operator;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Tests.Rollout;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Quay;

/// <summary>Steps of the Quay tests: an Available registry, the gateway's Quay endpoints, and Quay reached directly.</summary>
public sealed class QuayScenario(GatewayFixture gateway)
{
    public const string Config = "FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n";
    public const string Password = "quaypass123";

    public ProvisioningScenario Provisioning { get; } = new(gateway);

    public HttpClient Client => Provisioning.Client;

    public SandboxCluster Sandbox => Provisioning.Sandbox();

    public static CreateRegistryRequest Request(string ns, string config = Config, InitialUserRequest? initialUser = null,
        params OrganizationSpec[] organizations) =>
        new("example-registry", ns, ConfigBundle: new Dictionary<string, string> { ["config.yaml"] = config },
            InitialUser: initialUser, Organizations: organizations);

    public async Task<RegistryResponse> AvailableAsync(string prefix, string config = Config)
    {
        var created = await Provisioning.CreateAsync(Request(ProvisioningScenario.UniqueNamespace(prefix), config));
        return await Provisioning.WaitForAsync(created.Id, RegistryState.Ready);
    }

    /// <summary>Runs the action with a Quay API fault in place, and clears the faults afterwards, whatever happens.</summary>
    public async Task<T> WithQuayFaultAsync<T>(Action<QuayApiFaults> inject, Func<Task<T>> action)
    {
        inject(Sandbox.Faults.QuayApi);
        try
        {
            return await action();
        }
        finally
        {
            Sandbox.Faults.QuayApi.Clear();
        }
    }

    public Task<HttpResponseMessage> InitializeAsync(Guid id, string username = "quayadmin", string password = Password, string email = "quayadmin@example.com") =>
        Client.PostAsJsonAsync($"/v1/registries/{id}/quay/initialize", new { username, password, email });

    public Task<QuayAccount?> AccountAsync(Guid id) =>
        gateway.WithDbAsync(db => db.QuayAccounts.AsNoTracking().SingleOrDefaultAsync(a => a.RegistryId == id));

    public Task<List<RegistryEvent>> TimelineAsync(Guid id) =>
        gateway.WithDbAsync(db => db.RegistryEvents.AsNoTracking().Where(e => e.RegistryId == id).OrderBy(e => e.Id).ToListAsync());

    public Task<List<string>> WebhookEventTypesAsync(Guid id) =>
        gateway.WithDbAsync(db => db.WebhookEvents.AsNoTracking().Where(e => e.RegistryId == id).OrderBy(e => e.OccurredAt).Select(e => e.Type).ToListAsync());

    /// <summary>
    /// A call straight to the registry's simulated Quay, as a person with curl would make it (not through the gateway):
    /// <c>curl --proxy &lt;sandbox&gt; --cacert &lt;sandbox CA&gt; https://&lt;route host&gt;/…</c>.
    /// </summary>
    public async Task<(HttpStatusCode Status, JsonNode? Body)> CallQuayDirectlyAsync(RegistryResponse registry, HttpMethod method, string path, object? body = null,
        string? bearer = null)
    {
        var ca = QuayTransport.LoadBundle(Sandbox.QuayCaPem);
        using var http = new HttpClient(new HttpClientHandler
        {
            Proxy = new WebProxy(Sandbox.QuayProxyUrl), UseProxy = true,
            ServerCertificateCustomValidationCallback = (_, certificate, chain, _) => certificate is not null && QuayTransport.ChainsToBundle(certificate, chain, ca),
        }) { BaseAddress = new Uri(registry.RegistryEndpoint!) };
        using var request = new HttpRequestMessage(method, path.TrimStart('/')) { Content = body is null ? null : JsonContent.Create(body) };
        if (bearer is not null)
        {
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", bearer);
        }

        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? null : JsonNode.Parse(text));
    }

    public static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("https://quaygateway.dev/problems/" + type, JsonNode.Parse(body)!["type"]!.GetValue<string>());
    }
}
