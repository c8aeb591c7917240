using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Hosting;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Tests.Quay;
using QuayGateway.Tests.Rollout;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// The document tells the truth: real answers of the gateway, in success and in the common refusals, each checked
/// against the schema, headers and content types the document declares for that operation, status and content type.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class OpenApiAnswersTests(GatewayFixture gateway)
{
    [Fact]
    public async Task Registry_answers_fit_the_document()
    {
        var calls = await DocumentedCalls.StartAsync(gateway);
        var ns = ProvisioningScenario.UniqueNamespace("doc");
        var create = new { name = "example-registry", @namespace = ns, components = new[] { new { kind = "clair", managed = false } },
            configBundle = new Dictionary<string, string> { ["config.yaml"] = QuayScenario.Config }, labels = new { team = "docs" } };

        var created = await calls.SendAsync(HttpMethod.Post, "/v1/registries", "/v1/registries", create, headers: new() { ["Idempotency-Key"] = ns });
        Assert.Equal(HttpStatusCode.Accepted, created.Status);
        var id = (string)created.Json!["id"]!;
        var one = $"/v1/registries/{id}";
        Assert.Equal(HttpStatusCode.Accepted, (await calls.SendAsync(HttpMethod.Post, "/v1/registries", "/v1/registries", create, headers: new() { ["Idempotency-Key"] = ns })).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await calls.SendAsync(HttpMethod.Post, "/v1/registries", "/v1/registries", create with { labels = new { team = "other" } }, headers: new() { ["Idempotency-Key"] = ns })).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await calls.SendAsync(HttpMethod.Post, "/v1/registries", "/v1/registries", create)).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Post, "/v1/registries", "/v1/registries", new { name = "Not_A_Label", @namespace = ns })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendRawAsync(HttpMethod.Post, "/v1/registries", "/v1/registries", "{\"name\":", "application/json")).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await calls.SendRawAsync(HttpMethod.Post, "/v1/registries", "/v1/registries", "name=x", "application/x-www-form-urlencoded")).Status);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await calls.SendRawAsync(HttpMethod.Post, "/v1/registries", "/v1/registries", "{}", "application/json; charset=klingon")).Status);

        var read = await calls.SendAsync(HttpMethod.Get, one, "/v1/registries/{id}");
        Assert.Equal(HttpStatusCode.OK, read.Status);
        Assert.Equal(HttpStatusCode.NotFound, (await calls.SendAsync(HttpMethod.Get, $"/v1/registries/{Guid.NewGuid()}", "/v1/registries/{id}")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await calls.SendAsync(HttpMethod.Get, one, "/v1/registries/{id}", apiKey: null)).Status);
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, "/v1/registries?limit=2", "/v1/registries")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Get, "/v1/registries?limit=0", "/v1/registries")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Get, "/v1/registries?state=Sleeping", "/v1/registries")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Get, "/v1/registries?cursor=%01", "/v1/registries")).Status);

        // Fresh (no apply yet, nothing live) and later, with the operator's status in place.
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, $"{one}/manifest", "/v1/registries/{id}/manifest")).Status);
        await new ProvisioningScenario(gateway).WaitForAsync(Guid.Parse(id), RegistryState.Ready);
        foreach (var sub in new[] { "", "/status", "/components", "/manifest", "/manifest?format=yaml", "/events" })
        {
            var template = "/v1/registries/{id}" + sub.Split('?')[0];
            Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, one + sub, template)).Status);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Get, $"{one}/manifest?format=xml", "/v1/registries/{id}/manifest")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Get, $"{one}/events?after=x", "/v1/registries/{id}/events")).Status);
        await calls.StreamAsync($"{one}/events", "/v1/registries/{id}/events");
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, $"/v1/events?registry={id}&limit=2", "/v1/events")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Get, "/v1/events?cursor=%01", "/v1/events")).Status);
        await calls.StreamAsync($"/v1/events?registry={id}&after=0", "/v1/events");
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, "/v1/status", "/v1/status")).Status);
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, "/v1/clusters", "/v1/clusters")).Status);

        var etag = (await calls.SendAsync(HttpMethod.Get, one, "/v1/registries/{id}")).Headers["ETag"];
        Assert.Equal(HttpStatusCode.NotModified, (await calls.SendAsync(HttpMethod.Get, one, "/v1/registries/{id}", headers: new() { ["If-None-Match"] = etag })).Status);
        Assert.Equal(HttpStatusCode.PreconditionFailed, (await calls.SendAsync(HttpMethod.Patch, one, "/v1/registries/{id}", new { labels = new { team = "x" } }, headers: new() { ["If-Match"] = "\"stale\"" })).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await calls.SendAsync(HttpMethod.Post, $"{one}/retry", "/v1/registries/{id}/retry")).Status);
        // A change in progress (the registry is Applying until its apply job has been answered) gets 409 for the next
        // two calls. The sandbox answers its API only after 3 s meanwhile, so the apply cannot finish before them (a
        // fast apply used to move the registry on to Progressing first, now and then, under load).
        var rollout = new { labels = new { team = "x" }, components = new[] { new { kind = "clair", managed = false }, new { kind = "horizontalpodautoscaler", managed = false } } };
        var sandbox = new ProvisioningScenario(gateway).Sandbox();
        sandbox.Faults.ApiLatency = TimeSpan.FromSeconds(3);
        try
        {
            Assert.Equal(HttpStatusCode.Accepted, (await calls.SendAsync(HttpMethod.Patch, one, "/v1/registries/{id}", rollout, headers: new() { ["If-Match"] = etag })).Status);
            Assert.Equal(HttpStatusCode.Conflict, (await calls.SendAsync(HttpMethod.Patch, one, "/v1/registries/{id}", new { labels = new { team = "y" } })).Status);
            Assert.Equal(HttpStatusCode.Conflict, (await calls.SendAsync(HttpMethod.Delete, one, "/v1/registries/{id}")).Status);
        }
        finally
        {
            sandbox.Faults.ApiLatency = TimeSpan.Zero;
        }

        await new ProvisioningScenario(gateway).WaitForAsync(Guid.Parse(id), RegistryState.Ready);
        Assert.Equal(HttpStatusCode.Accepted, (await calls.SendAsync(HttpMethod.Delete, one, "/v1/registries/{id}")).Status);
        await new ProvisioningScenario(gateway).WaitForAsync(Guid.Parse(id), RegistryState.Deleted);
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, $"{one}/manifest", "/v1/registries/{id}/manifest")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await calls.SendAsync(HttpMethod.Delete, one, "/v1/registries/{id}")).Status);

        calls.AssertNoViolations();
    }

    [Fact]
    public async Task Refusals_of_any_request_fit_the_document()
    {
        var calls = await DocumentedCalls.StartAsync(gateway);
        var reader = await gateway.CreateKeyAsync("doc-reader", Scopes.RegistriesRead);
        Assert.Equal(HttpStatusCode.Forbidden, (await calls.SendAsync(HttpMethod.Post, "/v1/registries", "/v1/registries", new { name = "x", @namespace = "y" }, apiKey: reader)).Status);
        Assert.Equal(HttpStatusCode.Forbidden, (await calls.SendAsync(HttpMethod.Get, "/v1/webhooks", "/v1/webhooks", apiKey: reader)).Status);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, (await calls.SendRawAsync(HttpMethod.Post, "/v1/webhooks", "/v1/webhooks",
            "{\"url\":\"" + new string('a', (int)ProblemDetailsSetup.MaxRequestBodyBytes) + "\"}", "application/json")).Status);
        Assert.Equal(HttpStatusCode.RequestUriTooLong, (await calls.SendAsync(HttpMethod.Get, "/v1/clusters?x=" + new string('a', ProblemDetailsSetup.MaxUrlLength), "/v1/clusters")).Status);
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, (await calls.SendAsync(HttpMethod.Get, "/v1/status", "/v1/status",
            headers: Enumerable.Range(0, ProblemDetailsSetup.MaxHeaderCount + 1).ToDictionary(i => $"X-Filler-{i}", _ => "x"))).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Get, "/v1/clusters?note=%07", "/v1/clusters")).Status);
        calls.AssertNoViolations();
    }

    [Fact]
    public async Task Webhook_and_key_answers_fit_the_document()
    {
        var calls = await DocumentedCalls.StartAsync(gateway);
        var created = await calls.SendAsync(HttpMethod.Post, "/v1/webhooks", "/v1/webhooks",
            new { url = "http://127.0.0.1:9/hook", events = new[] { "registry.available" } });
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var one = $"/v1/webhooks/{created.Json!["id"]}";
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Post, "/v1/webhooks", "/v1/webhooks", new { url = "http://169.254.169.254/", events = new[] { "registry.available" } })).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Post, "/v1/webhooks", "/v1/webhooks", new { url = "http://127.0.0.1:9/", events = new[] { "nope" } })).Status);
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, "/v1/webhooks", "/v1/webhooks")).Status);
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, one, "/v1/webhooks/{id}")).Status);
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Patch, one, "/v1/webhooks/{id}", new { events = new[] { "registry.ready" } })).Status);
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Post, $"{one}/rotate-secret", "/v1/webhooks/{id}/rotate-secret")).Status);
        var ping = await calls.SendAsync(HttpMethod.Post, $"{one}/ping", "/v1/webhooks/{id}/ping");
        Assert.Equal(HttpStatusCode.Accepted, ping.Status);
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, $"{one}/deliveries", "/v1/webhooks/{id}/deliveries")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Get, $"{one}/deliveries?limit=100000", "/v1/webhooks/{id}/deliveries")).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await calls.SendAsync(HttpMethod.Post, $"{one}/deliveries/{ping.Json!["id"]}/redeliver", "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await calls.SendAsync(HttpMethod.Post, $"{one}/deliveries/{Guid.NewGuid()}/redeliver", "/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await calls.SendAsync(HttpMethod.Delete, one, "/v1/webhooks/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await calls.SendAsync(HttpMethod.Get, one, "/v1/webhooks/{id}")).Status);

        var key = await calls.SendAsync(HttpMethod.Post, "/v1/api-keys", "/v1/api-keys", new { name = "doc-key", scopes = new[] { Scopes.RegistriesRead }, tenant = "doc-tenant" });
        Assert.Equal(HttpStatusCode.Created, key.Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Post, "/v1/api-keys", "/v1/api-keys", new { name = "", scopes = new[] { "root" } })).Status);
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, "/v1/api-keys?tenant=doc-tenant", "/v1/api-keys")).Status);
        Assert.Equal(HttpStatusCode.NoContent, (await calls.SendAsync(HttpMethod.Delete, $"/v1/api-keys/{key.Json!["id"]}", "/v1/api-keys/{id}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await calls.SendAsync(HttpMethod.Delete, $"/v1/api-keys/{key.Json!["id"]}", "/v1/api-keys/{id}")).Status);
        calls.AssertNoViolations();
    }

    [Fact]
    public async Task Quay_answers_fit_the_document()
    {
        var calls = await DocumentedCalls.StartAsync(gateway);
        var quay = new QuayScenario(gateway);
        var created = await quay.Provisioning.CreateAsync(QuayScenario.Request(ProvisioningScenario.UniqueNamespace("doc-quay")));
        var root = $"/v1/registries/{created.Id}/quay";
        var user = new { username = "quayadmin", password = QuayScenario.Password, email = "quayadmin@example.com" };
        Assert.Equal(HttpStatusCode.Conflict, (await calls.SendAsync(HttpMethod.Get, $"{root}/users", "/v1/registries/{id}/quay/users")).Status);
        await quay.Provisioning.WaitForAsync(created.Id, RegistryState.Ready);
        Assert.Equal(HttpStatusCode.Conflict, (await calls.SendAsync(HttpMethod.Get, $"{root}/users", "/v1/registries/{id}/quay/users")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await calls.SendAsync(HttpMethod.Post, $"{root}/initialize", "/v1/registries/{id}/quay/initialize", user with { password = "short" })).Status);
        Assert.Equal(HttpStatusCode.Created, (await calls.SendAsync(HttpMethod.Post, $"{root}/initialize", "/v1/registries/{id}/quay/initialize", user)).Status);
        Assert.Equal(HttpStatusCode.Conflict, (await calls.SendAsync(HttpMethod.Post, $"{root}/initialize", "/v1/registries/{id}/quay/initialize", user)).Status);
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, $"{root}/users", "/v1/registries/{id}/quay/users")).Status);
        Assert.Equal(HttpStatusCode.Created, (await calls.SendAsync(HttpMethod.Post, $"{root}/organizations", "/v1/registries/{id}/quay/organizations", new { name = "docorg", email = "docorg@example.com" })).Status);
        Assert.Equal(HttpStatusCode.OK, (await calls.SendAsync(HttpMethod.Get, $"{root}/organizations/docorg", "/v1/registries/{id}/quay/organizations/{org}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await calls.SendAsync(HttpMethod.Get, $"{root}/organizations/missing", "/v1/registries/{id}/quay/organizations/{org}")).Status);
        var failing = await quay.WithQuayFaultAsync(f => f.AddError(new(500, PathPrefix: "/api/v1/superuser")),
            () => calls.SendAsync(HttpMethod.Get, $"{root}/users", "/v1/registries/{id}/quay/users"));
        Assert.Equal(HttpStatusCode.BadGateway, failing.Status);
        var timeout = await quay.WithQuayFaultAsync(f => f.AddHang("/api/v1/organization"),
            () => calls.SendAsync(HttpMethod.Get, $"{root}/organizations/docorg", "/v1/registries/{id}/quay/organizations/{org}"));
        Assert.Equal(HttpStatusCode.GatewayTimeout, timeout.Status);
        calls.AssertNoViolations();
    }

    /// <summary>Calls the gateway and checks each answer against the document, collecting every violation.</summary>
    private sealed class DocumentedCalls(GatewayFixture gateway, JsonNode document)
    {
        private readonly List<string> _violations = [];

        public static async Task<DocumentedCalls> StartAsync(GatewayFixture gateway) =>
            new(gateway, JsonNode.Parse(await gateway.Client(apiKey: null).GetStringAsync(OpenApiSetup.DocumentPath))!);

        public sealed record Answer(HttpStatusCode Status, JsonNode? Json, Dictionary<string, string> Headers);

        public Task<Answer> SendAsync(HttpMethod method, string url, string template, object? body = null,
            Dictionary<string, string>? headers = null, string? apiKey = GatewayFixture.AdminKey) =>
            SendAsync(method, url, template, body is null ? null : JsonContent.Create(body), headers, apiKey);

        public Task<Answer> SendRawAsync(HttpMethod method, string url, string template, string body, string contentType) =>
            SendAsync(method, url, template, new StringContent(body, Encoding.UTF8) { Headers = { ContentType = null } }.WithType(contentType), null, GatewayFixture.AdminKey);

        private async Task<Answer> SendAsync(HttpMethod method, string url, string template, HttpContent? content,
            Dictionary<string, string>? headers, string? apiKey)
        {
            using var client = gateway.Client(apiKey);
            using var request = new HttpRequestMessage(method, url) { Content = content };
            foreach (var (name, value) in headers ?? [])
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var answerHeaders = response.Headers.Concat(response.Content.Headers)
                .ToDictionary(h => h.Key, h => string.Join(", ", h.Value), StringComparer.OrdinalIgnoreCase);
            _violations.AddRange(OpenApiValidator.Check(document, template, method.Method, (int)response.StatusCode,
                response.Content.Headers.ContentType?.ToString(), text.Length == 0 ? null : text, answerHeaders).Select(v => $"{url}: {v}"));
            JsonNode? json = null;
            if (response.Content.Headers.ContentType?.MediaType?.EndsWith("json", StringComparison.Ordinal) == true && text.Length > 0)
            {
                json = JsonNode.Parse(text);
            }

            return new Answer(response.StatusCode, json, answerHeaders);
        }

        /// <summary>Opens the event stream, reads its first event, and checks the answer's status, type and each event's data.</summary>
        public async Task StreamAsync(string url, string template)
        {
            using var client = gateway.Client();
            using var request = new HttpRequestMessage(HttpMethod.Get, url) { Headers = { { "Accept", "text/event-stream" } } };
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cts.Token));
            string? data = null;
            while (data is null && await reader.ReadLineAsync(cts.Token) is { } line)
            {
                data = line.StartsWith("data: ", StringComparison.Ordinal) ? line["data: ".Length..] : null;
            }

            var headers = response.Headers.Concat(response.Content.Headers).ToDictionary(h => h.Key, h => string.Join(", ", h.Value));
            _violations.AddRange(OpenApiValidator.Check(document, template, "GET", (int)response.StatusCode,
                response.Content.Headers.ContentType?.ToString(), $"data: {data}\n\n", headers));
            // Each event's data is a timeline entry, as the JSON page's items are.
            Assert.NotNull(data);
            _violations.AddRange(OpenApiValidator.Check(document, template, "GET", 200, "application/json", $"{{\"items\":[{data}],\"nextCursor\":null}}"));
        }

        public void AssertNoViolations() => Assert.True(_violations.Count == 0, string.Join("\n", _violations));
    }
}

internal static class HttpContentTypes
{
    public static HttpContent WithType(this HttpContent content, string contentType)
    {
        content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        return content;
    }
}
