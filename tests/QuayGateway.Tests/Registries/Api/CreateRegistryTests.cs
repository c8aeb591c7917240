using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using QuayGateway.Registries.Api;
using QuayGateway.Registries.Model;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;
using QuayGateway.Webhooks.Model;

namespace QuayGateway.Tests.Registries.Api;

[Collection(GatewayCollection.Name)]
public sealed class CreateRegistryTests(GatewayFixture gateway)
{
    private static string UniqueName() => "reg-" + Guid.NewGuid().ToString("N")[..10];

    [Fact]
    public async Task Create_answers_202_with_location_after_persisting_and_the_jobs_take_it_from_there()
    {
        var name = UniqueName();
        using var response = await gateway.Client().PostJsonAsync("/v1/registries", new CreateRegistryRequest(name, "quay-enterprise"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.ReadAsync<RegistryResponse>();
        Assert.Equal($"/v1/registries/{body.Id}", response.Headers.Location?.OriginalString);
        Assert.Equal(RegistryState.Accepted, body.State);
        Assert.Equal("sandbox", body.Cluster);

        var stored = await gateway.WithDbAsync(db => db.Registries.AsNoTracking().SingleAsync(r => r.Id == body.Id));
        Assert.Equal(name, stored.Name);
        Assert.Equal(BootstrapKey.Tenant, stored.Tenant);

        var ready = await GatewayFixture.EventuallyAsync(
            () => gateway.WithDbAsync(db => db.Registries.AsNoTracking().SingleAsync(r => r.Id == body.Id)),
            r => r.State == RegistryState.Ready);
        Assert.Equal(RegistryState.Ready, ready.State);
        var timeline = await gateway.WithDbAsync(db => db.RegistryEvents
            .Where(e => e.RegistryId == body.Id && e.Type == TimelineEntryType.StateChanged).OrderBy(e => e.Id).Select(e => e.State).ToListAsync());
        Assert.Equal([RegistryState.Accepted, RegistryState.Applying, RegistryState.Progressing], timeline.Take(3));
        Assert.Equal([RegistryState.Available, RegistryState.Ready], timeline.TakeLast(2));
    }

    [Fact]
    public async Task The_202_carries_the_etag_of_the_stored_row_that_a_following_get_returns()
    {
        using var response = await gateway.Client().PostJsonAsync("/v1/registries", new CreateRegistryRequest(UniqueName(), "quay-enterprise"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var etag = response.Headers.ETag?.Tag;
        Assert.NotNull(etag);
        var body = await response.ReadAsync<RegistryResponse>();
        // The timeline entry is written with the registry and never changed: its xmin is the version the insert gave.
        var inserted = await gateway.WithDbAsync(db => db.Database.SqlQuery<long>(
            $"SELECT xmin::text::bigint AS \"Value\" FROM gateway.registry_events WHERE registry_id = {body.Id} AND state = 'Accepted'").SingleAsync());
        Assert.Equal(Registry.ETagOf((uint)inserted), etag);

        using var get = await gateway.Client().GetAsync($"/v1/registries/{body.Id}");
        var current = await gateway.WithDbAsync(db => db.Registries.AsNoTracking().Where(r => r.Id == body.Id).Select(r => r.Version).SingleAsync());
        if (current == (uint)inserted)
        {
            // Not changed by the apply yet: the GET shows the same version, and If-None-Match with it is 304.
            Assert.Equal(etag, get.Headers.ETag?.Tag);
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/registries/{body.Id}");
            request.Headers.IfNoneMatch.Add(new System.Net.Http.Headers.EntityTagHeaderValue(etag));
            using var notModified = await gateway.Client().SendAsync(request);
            Assert.True(notModified.StatusCode == HttpStatusCode.NotModified
                        || await gateway.WithDbAsync(db => db.Registries.AsNoTracking().AnyAsync(r => r.Id == body.Id && r.Version != (uint)inserted)));
        }
    }

    [Fact]
    public async Task Secrets_are_neither_returned_nor_stored_in_the_clear()
    {
        const string password = "s3cret-Passw0rd";
        const string dbPassword = "db-Pa55word-xyz";
        var request = new CreateRegistryRequest(UniqueName(), "quay-enterprise",
            ConfigBundle: new Dictionary<string, string>
            {
                ["config.yaml"] = $"FEATURE_USER_INITIALIZE: true\nDB_URI: postgresql://quay:{dbPassword}@db/quay\n",
            },
            Components: [new("postgres", false)],
            InitialUser: new("quayadmin", "quayadmin@example.com", password));
        using var response = await gateway.Client().PostJsonAsync("/v1/registries", request);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.DoesNotContain(password, text, StringComparison.Ordinal);
        Assert.DoesNotContain(dbPassword, text, StringComparison.Ordinal);
        Assert.Contains(RegistrySpec.Redacted, text, StringComparison.Ordinal);

        var id = (await response.ReadAsync<RegistryResponse>()).Id;
        var row = await gateway.WithDbAsync(db => db.Database
            .SqlQuery<string>($"SELECT row_to_json(r)::text AS \"Value\" FROM gateway.registries r WHERE id = {id}").SingleAsync());
        Assert.DoesNotContain(password, row, StringComparison.Ordinal);
        Assert.DoesNotContain(dbPassword, row, StringComparison.Ordinal);
        Assert.Contains("protected_secrets", row, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_request_is_a_validation_problem_with_field_errors()
    {
        using var response = await gateway.Client().PostJsonAsync("/v1/registries", new CreateRegistryRequest("Bad_Name", "quay-enterprise",
            Components: [new("clair", false, SecretRef: null, Overrides: new() { ["replicas"] = System.Text.Json.JsonDocument.Parse("1").RootElement })]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.ReadObjectAsync();
        Assert.Equal("https://quaygateway.dev/problems/validation-failed", (string?)problem["type"]);
        Assert.Equal(400, (int?)problem["status"]);
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("name"));
        Assert.True(errors.ContainsKey("components[0].overrides"));
        Assert.Equal(0, await gateway.WithDbAsync(db => db.Registries.CountAsync(r => r.Name == "Bad_Name")));
    }

    [Fact]
    public async Task A_privileged_container_a_host_path_and_added_capabilities_are_400_with_field_errors()
    {
        var overrides = System.Text.Json.JsonDocument.Parse(
            """{"securityContext":{"privileged":true,"capabilities":{"add":["NET_ADMIN"]}},"volumes":[{"hostPath":{"path":"/var/run"}}]}""").RootElement;
        using var response = await gateway.Client().PostJsonAsync("/v1/registries", new CreateRegistryRequest("privileged-overrides", "quay-enterprise",
            Components: [new("quay", true, Overrides: overrides.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()))]));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadObjectAsync();
        Assert.Equal("https://quaygateway.dev/problems/validation-failed", (string?)problem["type"]);
        var errors = problem["errors"]!.AsObject();
        Assert.True(errors.ContainsKey("components[0].overrides.securityContext.privileged"), errors.ToJsonString());
        Assert.True(errors.ContainsKey("components[0].overrides.securityContext.capabilities.add"), errors.ToJsonString());
        Assert.True(errors.ContainsKey("components[0].overrides.volumes[0].hostPath"), errors.ToJsonString());
        Assert.Equal(0, await gateway.WithDbAsync(db => db.Registries.CountAsync(r => r.Name == "privileged-overrides")));
    }

    [Theory]
    [InlineData("{\"name\": \"x\", ")]
    [InlineData("not json at all")]
    [InlineData("{\"name\": 42, \"namespace\": \"ns\"}")]
    [InlineData("{\"name\": \"ok\", \"namespace\": \"ns\", \"components\": {\"kind\": \"clair\"}}")]
    public async Task Malformed_json_is_a_400_problem_never_a_500(string body)
    {
        using var response = await gateway.Client().PostAsync("/v1/registries", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.ReadObjectAsync();
        Assert.Equal("https://quaygateway.dev/problems/malformed-request", (string?)problem["type"]);
        Assert.False(string.IsNullOrEmpty((string?)problem["detail"]));
    }

    [Fact]
    public async Task Body_over_one_mebibyte_is_a_413_problem()
    {
        var big = "{\"name\":\"big\",\"namespace\":\"ns\",\"configBundle\":{\"config.yaml\":\"" + new string('x', 1024 * 1024 + 10) + "\"}}";
        using var response = await gateway.Client().PostAsync("/v1/registries", new StringContent(big, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var problem = await response.ReadObjectAsync();
        Assert.Equal("https://quaygateway.dev/problems/payload-too-large", (string?)problem["type"]);
    }

    [Fact]
    public async Task Wrong_content_type_is_a_415_problem()
    {
        using var response = await gateway.Client().PostAsync("/v1/registries", new StringContent("name=x", Encoding.UTF8, "text/plain"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("https://quaygateway.dev/problems/unsupported-media-type", (string?)(await response.ReadObjectAsync())["type"]);
    }

    [Fact]
    public async Task Same_idempotency_key_and_body_replays_the_first_answer()
    {
        var key = Guid.NewGuid().ToString();
        var request = new CreateRegistryRequest(UniqueName(), "quay-enterprise");
        using var first = await gateway.Client().PostJsonAsync("/v1/registries", request, key);
        using var second = await gateway.Client().PostJsonAsync("/v1/registries", request, key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        Assert.Equal((await first.ReadAsync<RegistryResponse>()).Id, (await second.ReadAsync<RegistryResponse>()).Id);
        Assert.Equal(1, await gateway.WithDbAsync(db => db.Registries.CountAsync(r => r.Name == request.Name)));
    }

    [Fact]
    public async Task Same_idempotency_key_with_another_body_is_409()
    {
        var key = Guid.NewGuid().ToString();
        using var first = await gateway.Client().PostJsonAsync("/v1/registries", new CreateRegistryRequest(UniqueName(), "quay-enterprise"), key);
        using var second = await gateway.Client().PostJsonAsync("/v1/registries", new CreateRegistryRequest(UniqueName(), "quay-enterprise"), key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("https://quaygateway.dev/problems/idempotency-key-reused", (string?)(await second.ReadObjectAsync())["type"]);
    }

    [Fact]
    public async Task Idempotency_keys_are_per_tenant()
    {
        var key = Guid.NewGuid().ToString();
        var other = await gateway.CreateKeyAsync("tenant-idem", Scopes.RegistriesWrite);
        using var mine = await gateway.Client().PostJsonAsync("/v1/registries", new CreateRegistryRequest(UniqueName(), "quay-enterprise"), key);
        using var theirs = await gateway.Client(other).PostJsonAsync("/v1/registries", new CreateRegistryRequest(UniqueName(), "team-ns"), key);

        Assert.Equal(HttpStatusCode.Accepted, theirs.StatusCode);
        Assert.NotEqual(mine.Headers.Location, theirs.Headers.Location);
    }

    [Fact]
    public async Task Idempotency_records_hash_the_request_without_its_secrets()
    {
        var key = Guid.NewGuid().ToString();
        var request = new CreateRegistryRequest(UniqueName(), "quay-enterprise",
            Components: [new("postgres", false)],
            ConfigBundle: new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\nDB_URI: postgresql://quay:first-Secret@db/quay\n" },
            InitialUser: new("quayadmin", "quayadmin@example.com", "first-Passw0rd"));
        using var first = await gateway.Client().PostJsonAsync("/v1/registries", request, key);
        // A retry whose secrets differ is the same request: the secrets are not part of what is compared.
        using var retry = await gateway.Client().PostJsonAsync("/v1/registries", request with
        {
            ConfigBundle = new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\nDB_URI: postgresql://quay:second-Secret@db/quay\n" },
            InitialUser = new("quayadmin", "quayadmin@example.com", "second-Passw0rd"),
        }, key);
        using var otherFile = await gateway.Client().PostJsonAsync("/v1/registries", request with
        {
            ConfigBundle = new Dictionary<string, string> { ["extra.cert"] = "x" },
        }, key);
        using var otherUser = await gateway.Client().PostJsonAsync("/v1/registries", request with
        {
            InitialUser = new("someone", "quayadmin@example.com", "first-Passw0rd"),
        }, key);

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        Assert.Equal(first.Headers.Location, retry.Headers.Location);
        Assert.Equal(HttpStatusCode.Conflict, otherFile.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, otherUser.StatusCode);
        var stored = await gateway.WithDbAsync(db => db.IdempotencyRecords.AsNoTracking().SingleAsync(r => r.Key == key));
        Assert.NotEqual(Sha256Hex(JsonSerializer.Serialize(request, WebJson)), stored.RequestHash);
        Assert.DoesNotContain("first-", stored.ResponseBody, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_idempotency_key_past_its_window_starts_a_new_request()
    {
        var expiredKey = Guid.NewGuid().ToString();
        var freshKey = Guid.NewGuid().ToString();
        var window = gateway.Host.Services.GetRequiredService<IOptions<IdempotencyOptions>>().Value.Window;
        Assert.Equal(TimeSpan.FromHours(24), window);
        var old = Guid.NewGuid();
        await gateway.WithDbAsync(async db =>
        {
            db.IdempotencyRecords.Add(new IdempotencyRecord
            {
                Tenant = BootstrapKey.Tenant, Key = expiredKey, RequestHash = "an-older-request", RegistryId = old, ResponseBody = "{}",
                CreatedAt = DateTimeOffset.UtcNow - window - TimeSpan.FromMinutes(1),
            });
            db.IdempotencyRecords.Add(new IdempotencyRecord
            {
                Tenant = BootstrapKey.Tenant, Key = freshKey, RequestHash = "an-older-request", RegistryId = old, ResponseBody = "{}",
                CreatedAt = DateTimeOffset.UtcNow - window + TimeSpan.FromMinutes(5),
            });
            return await db.SaveChangesAsync();
        });

        using var afterWindow = await gateway.Client().PostJsonAsync("/v1/registries", new CreateRegistryRequest(UniqueName(), "quay-enterprise"), expiredKey);
        using var withinWindow = await gateway.Client().PostJsonAsync("/v1/registries", new CreateRegistryRequest(UniqueName(), "quay-enterprise"), freshKey);

        Assert.Equal(HttpStatusCode.Accepted, afterWindow.StatusCode);
        var created = await afterWindow.ReadAsync<RegistryResponse>();
        Assert.NotEqual(old, created.Id);
        Assert.Equal(created.Id, await gateway.WithDbAsync(db => db.IdempotencyRecords.Where(r => r.Key == expiredKey).Select(r => r.RegistryId).SingleAsync()));
        Assert.Equal(HttpStatusCode.Conflict, withinWindow.StatusCode);
    }

    private static readonly JsonSerializerOptions WebJson = new(JsonSerializerDefaults.Web);

    private static string Sha256Hex(string text) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public async Task Same_cluster_namespace_and_name_is_409()
    {
        var request = new CreateRegistryRequest(UniqueName(), "quay-enterprise");
        using var first = await gateway.Client().PostJsonAsync("/v1/registries", request);
        using var again = await gateway.Client().PostJsonAsync("/v1/registries", request with { Cluster = "sandbox" });
        using var elsewhere = await gateway.Client().PostJsonAsync("/v1/registries", request with { Cluster = "edge" });

        Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal("https://quaygateway.dev/problems/already-exists", (string?)(await again.ReadObjectAsync())["type"]);
        Assert.Equal(HttpStatusCode.Accepted, elsewhere.StatusCode);
    }

    [Fact]
    public async Task Concurrent_identical_creates_store_one_registry()
    {
        var request = new CreateRegistryRequest(UniqueName(), "quay-enterprise");
        var answers = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => gateway.Client().PostJsonAsync("/v1/registries", request)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.Accepted);
        Assert.All(answers.Where(a => a.StatusCode != HttpStatusCode.Accepted), a => Assert.Equal(HttpStatusCode.Conflict, a.StatusCode));
        Assert.Equal(1, await gateway.WithDbAsync(db => db.Registries.CountAsync(r => r.Name == request.Name)));
        // The refused ones wrote nothing at all: their rows went in one batch that PostgreSQL rolled back whole.
        Assert.Equal(1, await gateway.WithDbAsync(db => db.WebhookEvents.CountAsync(
            e => e.Type == QuayGateway.Webhooks.Model.WebhookEventTypes.RegistryAccepted && e.Payload.Contains($"\"{request.Name}\""))));
    }
}
