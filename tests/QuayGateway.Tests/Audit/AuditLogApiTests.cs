using System.Net;
using QuayGateway.Audit;
using QuayGateway.Security;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Audit;

/// <summary><c>GET /v1/audit</c>: a tenant admin sees the own tenant, a platform admin everything; filters and cursor paging.</summary>
[Collection(GatewayCollection.Name)]
public sealed class AuditLogApiTests(GatewayFixture gateway)
{
    private readonly AuditKit _kit = new(gateway);
    private static readonly DateTimeOffset Start = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task A_tenant_admin_sees_only_the_own_tenant_and_a_platform_admin_sees_all()
    {
        var (a, b) = (AuditKit.NewTenant("audit-a"), AuditKit.NewTenant("audit-b"));
        var actor = "actor-" + Guid.NewGuid().ToString("N");
        await RecordAsync(a, actor, "CreateRegistry", "/v1/registries/1", 201, Start);
        await RecordAsync(b, actor, "CreateRegistry", "/v1/registries/2", 201, Start.AddSeconds(1));
        await _kit.EntriesAsync(e => e.Actor == actor, count: 2);

        var adminA = gateway.Client(await _kit.StoreKeyAsync(a, Scopes.Admin));
        var platform = gateway.Client(await _kit.StoreKeyAsync("platform-ops", Scopes.PlatformAdmin));

        var seenByA = await adminA.GetFromJsonPageAsync($"/v1/audit?actor={actor}");
        var allOfA = await adminA.GetFromJsonPageAsync("/v1/audit?limit=500");
        var seenByPlatform = await platform.GetFromJsonPageAsync($"/v1/audit?actor={actor}");

        Assert.Equal([a], seenByA.Items.Select(e => e.Tenant));
        Assert.All(allOfA.Items, e => Assert.Equal(a, e.Tenant));
        Assert.Equal([b, a], seenByPlatform.Items.Select(e => e.Tenant));
    }

    [Theory]
    [InlineData(Scopes.RegistriesRead, Scopes.RegistriesWrite, Scopes.WebhooksAdmin, Scopes.QuayAdmin)]
    [InlineData(Scopes.RegistriesWrite)]
    public async Task Without_admin_the_log_is_403(params string[] scopes)
    {
        var client = gateway.Client(await _kit.StoreKeyAsync(AuditKit.NewTenant("audit-noadmin"), scopes));

        using var response = await client.GetAsync("/v1/audit");
        using var anonymous = await gateway.Client(apiKey: null).GetAsync("/v1/audit");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("https://quaygateway.dev/problems/forbidden", (string?)(await response.ReadObjectAsync())["type"]);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
    }

    [Fact]
    public async Task Filters_narrow_the_list_and_the_cursor_pages_through_it_newest_first()
    {
        var tenant = AuditKit.NewTenant("audit-page");
        var (alice, bob) = ("alice-" + tenant, "bob-" + tenant);
        for (var i = 0; i < 7; i++)
        {
            await RecordAsync(tenant, i % 2 == 0 ? alice : bob, i < 4 ? "CreateWebhook" : "DeleteWebhook", $"/v1/webhooks/{i}", i == 6 ? 403 : 201, Start.AddSeconds(i));
        }

        // Two entries in the same instant: the id orders them, and paging neither skips nor repeats one.
        await RecordAsync(tenant, alice, "UpdateWebhook", "/v1/webhooks/7", 200, Start.AddSeconds(3));
        await _kit.EntriesAsync(e => e.Tenant == tenant, count: 8);
        var client = gateway.Client(await _kit.StoreKeyAsync(tenant, Scopes.Admin));

        var pages = new List<AuditPage>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonPageAsync("/v1/audit?limit=3" + (cursor is null ? "" : $"&cursor={cursor}"));
            pages.Add(page);
            cursor = page.NextCursor;
        }
        while (cursor is not null && pages.Count < 10);

        Assert.Equal([3, 3, 2], pages.Select(p => p.Items.Count));
        var all = pages.SelectMany(p => p.Items).ToList();
        Assert.Equal(8, all.Select(e => e.Id).Distinct().Count());
        Assert.Equal(all.OrderByDescending(e => e.At).ThenByDescending(e => e.Id).Select(e => e.Id), all.Select(e => e.Id));

        Assert.Equal(["/v1/webhooks/6", "/v1/webhooks/4", "/v1/webhooks/7", "/v1/webhooks/2", "/v1/webhooks/0"],
            (await client.GetFromJsonPageAsync($"/v1/audit?actor={alice}")).Items.Select(e => e.Target));
        Assert.Equal(["/v1/webhooks/3", "/v1/webhooks/2", "/v1/webhooks/1", "/v1/webhooks/0"],
            (await client.GetFromJsonPageAsync("/v1/audit?action=CreateWebhook")).Items.Select(e => e.Target));
        Assert.Equal(["/v1/webhooks/5"], (await client.GetFromJsonPageAsync("/v1/audit?target=/v1/webhooks/5")).Items.Select(e => e.Target));
        Assert.Equal(["/v1/webhooks/6"], (await client.GetFromJsonPageAsync("/v1/audit?outcome=refused")).Items.Select(e => e.Target));
        var since = Uri.EscapeDataString(Start.AddSeconds(2).ToString("O"));
        var until = Uri.EscapeDataString(Start.AddSeconds(4).ToString("O"));
        var window = await client.GetFromJsonPageAsync($"/v1/audit?since={since}&until={until}"); // since inclusive, until exclusive
        Assert.Equal(["/v1/webhooks/2", "/v1/webhooks/3", "/v1/webhooks/7"], window.Items.Select(e => e.Target).Order());
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    public async Task Bad_paging_is_a_validation_problem(string query, string field)
    {
        var client = gateway.Client(await _kit.StoreKeyAsync(AuditKit.NewTenant("audit-bad"), Scopes.Admin));

        using var response = await client.GetAsync("/v1/audit?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.ReadObjectAsync())["errors"]!.AsObject().ContainsKey(field));
    }

    private ValueTask RecordAsync(string tenant, string actor, string action, string target, int status, DateTimeOffset at) =>
        _kit.Recorder.RecordAsync(new AuditEntry
        {
            At = at, Actor = actor, Tenant = tenant, Action = action, Target = target, Status = status,
            Outcome = AuditOutcomes.For(status), RequestId = "req-" + Guid.NewGuid().ToString("N")[..8],
        });
}

internal static class AuditPageReading
{
    public static async Task<AuditPage> GetFromJsonPageAsync(this HttpClient client, string url)
    {
        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.ReadAsync<AuditPage>();
    }
}
