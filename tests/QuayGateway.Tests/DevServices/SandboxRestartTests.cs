using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayGateway.DevServices;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.DevServices;

/// <summary>
/// A gateway with an in-process sandbox kept in a state folder (<c>Gateway:Sandbox:StateDir</c>, as Development sets
/// it), killed and started again on the same database and folder: its registry is still Ready, no drift is recorded,
/// nothing rolls out again, and the Quay user and token it stored still work.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SandboxRestartTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("qg-sandbox-restart-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task A_restarted_gateway_finds_its_registry_ready_without_drift_and_its_quay_user_and_token_intact()
    {
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        string[] settings =
        [
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Sandbox:PhaseDelay=00:00:00.050",
            $"--Gateway:Sandbox:StateDir={Path.Combine(_dir.FullName, "state")}",
            $"--Gateway:Sandbox:KubeconfigPath={Path.Combine(_dir.FullName, "sandbox.kubeconfig")}",
        ];

        Guid id;
        int eventsBefore;
        await using (var first = await GatewayProcess.StartAsync(postgres.ConnectionString, GatewayFixture.AdminKey, settings))
        {
            using var http = Client(first);
            using var created = await http.PostAsJsonAsync("/v1/registries", new
            {
                name = "restart-check", @namespace = "restart-check",
                configBundle = new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n" },
                initialUser = new { username = "quayadmin", email = "quayadmin@example.com", password = "restart-check-password" },
            });
            Assert.True(created.StatusCode == HttpStatusCode.Accepted, await created.Content.ReadAsStringAsync());
            id = Guid.Parse((string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!);
            await GatewayFixture.EventuallyAsync(
                async () => JsonNode.Parse(await http.GetStringAsync($"/v1/registries/{id}"))!,
                r => (string?)r["state"] == "Ready", TimeSpan.FromSeconds(90));
            await AssertQuayUsersAsync(http, id);
            eventsBefore = (await EventsAsync(http, id)).Count;
            // Past the sandbox's flush interval; then the process is killed (GatewayProcess disposes by SIGKILL).
            await Task.Delay(TimeSpan.FromSeconds(1.5));
        }

        await using var second = await GatewayProcess.StartAsync(postgres.ConnectionString, GatewayFixture.AdminKey, settings);
        using var client = Client(second);
        // Time for the watch to list and the operator and gateway to reconcile.
        await Task.Delay(TimeSpan.FromSeconds(5));

        var after = JsonNode.Parse(await client.GetStringAsync($"/v1/registries/{id}"))!;
        Assert.Equal("Ready", (string?)after["state"]);
        var events = await EventsAsync(client, id);
        var since = events.Skip(eventsBefore).Select(e => $"{e!["type"]} {e["state"]} {e["reason"]}: {e["message"]}").ToList();
        Assert.DoesNotContain(events, e => (string?)e!["type"] == "Drift");
        Assert.True(since.Count == 0, "recorded after the restart:\n" + string.Join("\n", since));
        await AssertQuayUsersAsync(client, id);
    }

    /// <summary>The gateway calls Quay with the token it stored at initialize.</summary>
    private static async Task AssertQuayUsersAsync(HttpClient http, Guid id)
    {
        using var users = await http.GetAsync($"/v1/registries/{id}/quay/users");
        var body = await users.Content.ReadAsStringAsync();
        Assert.True(users.StatusCode == HttpStatusCode.OK, body);
        Assert.Contains("quayadmin", body, StringComparison.Ordinal);
    }

    private static async Task<List<JsonNode?>> EventsAsync(HttpClient http, Guid id)
    {
        var page = JsonNode.Parse(await http.GetStringAsync($"/v1/registries/{id}/events"))!;
        return [.. (page as JsonArray ?? page["items"]!.AsArray())];
    }

    private static HttpClient Client(GatewayProcess gateway)
    {
        var http = new HttpClient { BaseAddress = new Uri(gateway.Url) };
        http.DefaultRequestHeaders.Add("X-Api-Key", GatewayFixture.AdminKey);
        return http;
    }
}
