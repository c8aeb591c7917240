using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Http.HttpClientLibrary;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware.Options;
using QuayGateway.Client;
using QuayGateway.Client.Models;
using QuayGateway.Hosting;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Tests.Rollout;
using QuayGateway.Tests.Webhooks;

namespace QuayGateway.Tests.Client;

/// <summary>
/// The README's walk-through, as a portal would run it through the generated .NET client (src/QuayGateway.Client):
/// a key for a team, a webhook, a registry with its first user and an organization, followed to Ready; its status,
/// components, timeline, organization and webhook deliveries; and errors as typed RFC 9457 problems. Against the real
/// gateway host and the sandbox cluster, over Kiota's own HTTP pipeline (its default middleware in front of the
/// in-memory server).
/// </summary>
/// <remarks>
/// Request bodies are the README's JSON read into the generated models, and values that the OpenAPI document may
/// turn into enums are compared as text, so the test keeps compiling when the document gains enums and the client
/// is regenerated.
/// </remarks>
[Collection(GatewayCollection.Name)]
public sealed class ClientWalkthroughTests(GatewayFixture gateway)
{
    private QuayGatewayApiClient Connect(string apiKey)
    {
        var http = KiotaClientFactory.Create(finalHandler: gateway.Host.Server.CreateHandler());
        var auth = new ApiKeyAuthenticationProvider(apiKey, "X-Api-Key", ApiKeyAuthenticationProvider.KeyLocation.Header);
        // https: Kiota's API key provider sends the key over HTTPS only (the in-memory server takes either scheme).
        return new QuayGatewayApiClient(new HttpClientRequestAdapter(auth, httpClient: http) { BaseUrl = "https://localhost" });
    }

    /// <summary>A request body as the README writes it, read into the generated model.</summary>
    private static async Task<T> Body<T>(ParsableFactory<T> model, string json) where T : IParsable =>
        (await KiotaJsonSerializer.DeserializeAsync(json, model))!;

    [Fact]
    public async Task The_readme_walkthrough_runs_through_the_sdk()
    {
        var tenant = "portal-" + Guid.NewGuid().ToString("N")[..6];
        var ns = ProvisioningScenario.UniqueNamespace("sdk");
        var admin = Connect(GatewayFixture.AdminKey);

        // An API key for a team, with the scopes the walk-through needs (shown once).
        var key = await admin.V1.ApiKeys.PostAsync(await Body(CreateApiKeyRequest.CreateFromDiscriminatorValue, $$"""
            {"name":"{{tenant}}-portal","tenant":"{{tenant}}","scopes":["registries:read","registries:write","quay:admin","webhooks:admin"]}
            """));
        Assert.False(string.IsNullOrEmpty(key!.Key));
        var portal = Connect(key.Key!);

        // A webhook for the team's registry events, delivered to a real receiver on loopback.
        await using var receiver = await WebhookReceiver.StartAsync();
        var webhook = await portal.V1.Webhooks.PostAsync(await Body(CreateWebhookRequest.CreateFromDiscriminatorValue, $$"""
            {"url":"{{receiver.Url}}/quay","events":["registry.accepted","registry.ready","quay.organization_created"]}
            """));
        Assert.StartsWith("whsec_", webhook!.Secret, StringComparison.Ordinal);

        // Request a registry (the README's body), with an Idempotency-Key: a retry replays the first answer.
        var create = await Body(CreateRegistryRequest.CreateFromDiscriminatorValue, $$$"""
            {"name":"example-registry","namespace":"{{{ns}}}",
             "components":[{"kind":"clair","managed":false},{"kind":"horizontalpodautoscaler","managed":false}],
             "configBundle":{"config.yaml":"FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n"},
             "initialUser":{"username":"quayadmin","email":"quayadmin@example.com","password":"quaypass123"},
             "organizations":[{"name":"testorg","email":"testorg@example.com"}],
             "labels":{"team":"payments"},"ticket":{"system":"jira","key":"OPS-123"}}
            """);
        var idempotencyKey = "sdk-" + Guid.NewGuid();
        var created = await portal.V1.Registries.PostAsync(create, c => c.Headers.Add("Idempotency-Key", idempotencyKey));
        var id = created!.Id!.Value;
        Assert.Equal("Accepted", $"{created.State}");
        var replayed = await portal.V1.Registries.PostAsync(create, c => c.Headers.Add("Idempotency-Key", idempotencyKey));
        Assert.Equal(id, replayed!.Id);

        // Follow it to Ready.
        var registry = await GatewayFixture.EventuallyAsync(() => portal.V1.Registries[id].GetAsync()!, r => $"{r!.State}" is "Ready" or "Failed",
            TimeSpan.FromSeconds(60));
        Assert.True($"{registry!.State}" == "Ready", $"registry is {registry.State}: " +
            string.Join("; ", registry.Conditions!.Select(c => $"{c.Type}={c.Status} {c.Reason}: {c.Message}")));
        Assert.Equal("Healthy", $"{registry.Health}");
        Assert.StartsWith("https://", registry.RegistryEndpoint, StringComparison.Ordinal);

        // Status: the operator's conditions and the rollout.
        var status = await portal.V1.Registries[id].Status.GetAsync();
        Assert.Equal(("Ready", "Healthy"), ($"{status!.State}", $"{status.Health}"));
        Assert.Contains(status.Conditions!, c => c.Type == "Available" && $"{c.Status}" == "True");
        Assert.Empty(status.UnhealthyComponents!);
        // The credentials' kind is an enum the client knows (an unknown string would read as null).
        var credentials = await portal.V1.Registries[id].Quay.Credentials.GetAsync();
        Assert.NotNull(credentials!.Kind);
        Assert.Equal($"{credentials.Kind}".ToLowerInvariant(), $"{status.QuayCredentials!.Kind}".ToLowerInvariant());

        // The fleet's counts are typed: a property per state and per health.
        var fleet = await portal.V1.Status.GetAsync();
        Assert.True(fleet!.ByState!.Ready >= 1, $"byState.Ready is {fleet.ByState.Ready}");
        Assert.True(fleet.ByHealth!.Healthy >= 1, $"byHealth.Healthy is {fleet.ByHealth.Healthy}");

        // Components: the unmanaged ones as requested, the managed ones with pods.
        var components = await portal.V1.Registries[id].Components.GetAsync();
        Assert.Contains(components!.Components!, c => c.Kind == ComponentView_kind.Clair && c.Managed == false);
        Assert.Contains(components.Components!, c => c.Kind == ComponentView_kind.Quay && c.Managed == true && c.Pods!.Count > 0);

        // The timeline, one page: Accepted … Ready, with the bootstrap steps; the last page has no cursor.
        var events = await portal.V1.Registries[id].Events.GetAsync(c => c.QueryParameters.Limit = 1000);
        Assert.Null(events!.NextCursor);
        var states = events.Items!.Where(e => e.Type == TimelineEntryType.StateChanged).Select(e => $"{e.State}").ToList();
        Assert.Equal("Accepted", states.First());
        Assert.Equal("Ready", states.Last());
        Assert.Contains(events.Items!, e => e.Type == TimelineEntryType.QuayOrganizationCreated);
        // The fleet timeline's type filter is the enum too.
        var organizations = await portal.V1.Events.GetAsync(c =>
        {
            c.QueryParameters.Registry = id;
            c.QueryParameters.Type = TimelineEntryType.QuayOrganizationCreated;
        });
        Assert.NotEmpty(organizations!.Items!);
        Assert.All(organizations.Items!, e => Assert.Equal((TimelineEntryType?)TimelineEntryType.QuayOrganizationCreated, e.Type));
        Assert.All(events.Items!, e => Assert.Equal(id, e.RegistryId));

        // The organization the request asked for, as Quay sees it.
        var organization = await portal.V1.Registries[id].Quay.Organizations["testorg"].GetAsync();
        Assert.Equal("testorg", organization!.Name);
        Assert.True(organization.IsAdmin);

        // The webhook: delivered to the receiver, and in the delivery log.
        var deliveries = await GatewayFixture.EventuallyAsync(() => portal.V1.Webhooks[webhook.Id!.Value].Deliveries.GetAsync()!,
            page => page!.Items!.Count(d => d.RegistryId == id && $"{d.Status}" == "Succeeded") >= 3, TimeSpan.FromSeconds(30));
        Assert.Equal(["quay.organization_created", "registry.accepted", "registry.ready"],
            deliveries!.Items!.Where(d => d.RegistryId == id).Select(d => WireValue(d.EventType)).Order(StringComparer.Ordinal));
        Assert.Contains(receiver.Requests, r => r.Body.Contains("\"registry.ready\"", StringComparison.Ordinal));

        // ETag and If-Match: a stale tag is refused with a typed 412.
        var headers = new HeadersInspectionHandlerOption { InspectResponseHeaders = true };
        await portal.V1.Registries[id].GetAsync(c => c.Options.Add(headers));
        Assert.StartsWith("\"", headers.ResponseHeaders["ETag"].Single(), StringComparison.Ordinal);
        var stale = await Assert.ThrowsAsync<ProblemDetails>(() => portal.V1.Registries[id].PatchAsync(
            new PatchRegistryRequest { Labels = new() { AdditionalData = { ["team"] = "platform" } } },
            c => c.Headers.Add("If-Match", "\"0\"")));
        Assert.Equal(412, stale.ResponseStatusCode);
        Assert.Equal(ProblemTypes.PreconditionFailed, stale.Type);
    }

    [Fact]
    public async Task Errors_are_typed_problem_details_with_their_stable_type()
    {
        var portal = Connect(await gateway.CreateKeyAsync("portal-errors", "registries:read", "registries:write"));

        // 404: a ProblemDetails exception, with the response's status and the problem's own fields.
        var missing = await Assert.ThrowsAsync<ProblemDetails>(() => portal.V1.Registries[Guid.NewGuid()].GetAsync());
        Assert.Equal(404, missing.ResponseStatusCode);
        Assert.Equal(404, missing.Status);
        Assert.Equal(ProblemTypes.NotFound, missing.Type);
        Assert.False(string.IsNullOrEmpty(missing.TraceId));
        Assert.StartsWith("/v1/registries/", missing.Instance, StringComparison.Ordinal);

        // 400: the validation problem (a ProblemDetails too), with the fields that are wrong.
        var invalid = await Assert.ThrowsAsync<HttpValidationProblemDetails>(() => portal.V1.Registries.PostAsync(
            new CreateRegistryRequest { Name = "Not_A_DNS_Name", Namespace = "quay-enterprise" }));
        Assert.Equal(400, invalid.ResponseStatusCode);
        Assert.Equal(ProblemTypes.ValidationFailed, invalid.Type);
        Assert.Contains("name", invalid.Errors!.AdditionalData.Keys);

        // 401: an unknown key.
        var anonymous = await Assert.ThrowsAsync<ProblemDetails>(() => Connect("qgw_unknown").V1.Registries.GetAsync());
        Assert.Equal(401, anonymous.ResponseStatusCode);
        Assert.Equal(ProblemTypes.Unauthorized, anonymous.Type);

        // 403: a key without the scope (webhooks:admin).
        var forbidden = await Assert.ThrowsAsync<ProblemDetails>(() => portal.V1.Webhooks.GetAsync());
        Assert.Equal(403, forbidden.ResponseStatusCode);
        Assert.Equal(ProblemTypes.Forbidden, forbidden.Type);
    }

    /// <summary>The value an SDK enum stands for on the wire (Kiota keeps it in <see cref="System.Runtime.Serialization.EnumMemberAttribute"/>).</summary>
    private static string WireValue<T>(T? value) where T : struct, Enum =>
        typeof(T).GetField(value!.Value.ToString())!.GetCustomAttributes(typeof(System.Runtime.Serialization.EnumMemberAttribute), false)
            .Cast<System.Runtime.Serialization.EnumMemberAttribute>().Single().Value!;
}
