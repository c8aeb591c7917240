using System.Net;
using System.Text.Json;
using k8s;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using QuayGateway.Clusters;
using QuayGateway.Quay;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Rollout;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Quay;

/// <summary>
/// Quay calls go only to the registry's route host or the SERVER_HOSTNAME the gateway applied, over https: a status
/// naming anything else is recorded, and the stored token is not sent there.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class QuayDestinationTests(GatewayFixture gateway)
{
    private readonly QuayScenario _quay = new(gateway);

    [Theory]
    [InlineData("http", "")]
    [InlineData("https", "listener.attacker.example")]
    [InlineData("https", ":8443")]
    public async Task A_status_naming_another_destination_is_recorded_and_gets_no_token(string scheme, string host)
    {
        var registry = await _quay.AvailableAsync("qdest");
        using (var initialized = await _quay.InitializeAsync(registry.Id))
        {
            Assert.Equal(HttpStatusCode.Created, initialized.StatusCode);
        }

        var routeHost = new Uri(registry.RegistryEndpoint!).Host;
        var endpoint = host.StartsWith(':') ? $"{scheme}://{routeHost}{host}" : $"{scheme}://{(host.Length > 0 ? host : routeHost)}";
        await ObserveStatusEndpointAsync(registry, endpoint);

        using var users = await _quay.Client.GetAsync($"/v1/registries/{registry.Id}/quay/users");
        await QuayScenario.AssertProblemAsync(users, HttpStatusCode.BadGateway, "quay-destination-refused");
        using var organization = await _quay.Client.PostAsync($"/v1/registries/{registry.Id}/quay/organizations",
            JsonContent(new OrganizationSpec("refusedorg", null)));
        await QuayScenario.AssertProblemAsync(organization, HttpStatusCode.BadGateway, "quay-destination-refused");
        var timeline = await _quay.TimelineAsync(registry.Id);
        Assert.Contains(timeline, e => e.Type == TimelineEntryType.EndpointRefused && e.Reason == QuayProblem.DestinationRefusedReason);
        Assert.Equal(endpoint, (await _quay.Provisioning.GetAsync(registry.Id)).RegistryEndpoint); // shown as the operator says
        // Nothing reached the registry's own Quay either: the organization was never created there.
        var (status, _) = await _quay.CallQuayDirectlyAsync(registry, HttpMethod.Get, "/api/v1/organization/refusedorg");
        Assert.NotEqual(HttpStatusCode.OK, status);
    }

    [Fact]
    public async Task The_SERVER_HOSTNAME_the_gateway_applied_is_called()
    {
        var registry = await _quay.AvailableAsync("qhostname", QuayScenario.Config + "SERVER_HOSTNAME: registry-qhostname.example.com\n");

        Assert.Equal("https://registry-qhostname.example.com", registry.RegistryEndpoint);
        using var initialized = await _quay.InitializeAsync(registry.Id);
        Assert.Equal(HttpStatusCode.Created, initialized.StatusCode);
    }

    [Theory]
    [InlineData("https://reg-quay-team.apps.example.com", null)]
    [InlineData("https://REG-quay-team.apps.example.com/", null)]
    [InlineData("https://quay.team.example.com", null)]
    [InlineData("https://reg-quay-team.apps.example.com:8443", "not")]
    [InlineData("https://reg-quay-other.apps.example.com", "not")]
    [InlineData("https://quay.team.example.com.attacker.example", "not")]
    [InlineData("http://reg-quay-team.apps.example.com", "not https")]
    [InlineData("ftp://reg-quay-team.apps.example.com", "not https")]
    public void The_route_host_and_the_applied_SERVER_HOSTNAME_are_the_only_destinations(string endpoint, string? refused)
    {
        var destinations = Destinations(("c:AppsDomain", "apps.example.com"));
        var registry = new Registry
        {
            Tenant = "t", Cluster = "c", Namespace = "team", Name = "reg", AppliedServerHostname = "quay.team.example.com",
            Spec = RegistrySpec.From(new CreateRegistryRequest("reg", "team")),
        };

        var refusal = destinations.Refusal(registry, new Uri(endpoint));

        if (refused is null)
        {
            Assert.Null(refusal);
        }
        else
        {
            Assert.Contains(refused, refusal, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Plain_http_and_no_AppsDomain_are_per_cluster_choices()
    {
        var registry = new Registry { Tenant = "t", Cluster = "lab", Namespace = "team", Name = "reg", Spec = RegistrySpec.From(new CreateRegistryRequest("reg", "team")) };

        Assert.Null(Destinations(("lab:AppsDomain", "apps.lab"), ("lab:AllowInsecureQuay", "true")).Refusal(registry, new Uri("http://reg-quay-team.apps.lab")));
        // Without an apps domain (and no SERVER_HOSTNAME applied) the gateway knows no host for the registry.
        Assert.NotNull(Destinations(("lab:Kubeconfig", "/dev/null")).Refusal(registry, new Uri("https://reg-quay-team.apps.lab")));
    }

    private static QuayDestinations Destinations(params (string Key, string Value)[] settings) =>
        new(new ClusterCatalog(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>($"{ClusterCatalog.Section}:{s.Key}", s.Value))).Build()));

    private static System.Net.Http.Json.JsonContent JsonContent(object value) => System.Net.Http.Json.JsonContent.Create(value);

    /// <summary>
    /// The registry's own QuayRegistry, as the watch would deliver it, with its status naming <paramref name="endpoint"/>;
    /// far newer than anything the sandbox writes next, so that stays the stored status.
    /// </summary>
    private async Task ObserveStatusEndpointAsync(RegistryResponse registry, string endpoint)
    {
        using var kubernetes = _quay.Provisioning.Kubernetes();
        var live = JsonSerializer.Deserialize<QuayRegistryResource>(JsonSerializer.Serialize(await kubernetes.CustomObjects.GetNamespacedCustomObjectAsync(
            QuayRegistryResource.Group, QuayRegistryResource.Version, registry.Namespace, QuayRegistryResource.Plural, registry.Name)))!;
        live.Metadata.ResourceVersion = (ulong.Parse(live.Metadata.ResourceVersion!) + 1_000_000).ToString(System.Globalization.CultureInfo.InvariantCulture);
        live.Status!["registryEndpoint"] = endpoint;
        await using var scope = gateway.Host.Services.CreateAsyncScope();
        await scope.ServiceProvider.GetRequiredService<RolloutTracker>().ObserveAsync("sandbox", live, CancellationToken.None);
    }
}
