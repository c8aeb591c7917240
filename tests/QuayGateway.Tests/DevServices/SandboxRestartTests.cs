using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using QuayGateway.DevServices;
using QuayGateway.Sandbox.QuayApi;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.DevServices;

/// <summary>
/// A gateway with in-process sandboxes kept in a state folder (<c>Gateway:Sandbox:StateDir</c>, as Development sets
/// it), killed and started again on the same database and folder: on every Quay profile the sandbox offers
/// (<see cref="QuayVersions.Profiles"/>: the 3.6 operator profile's status shape on a sandbox of its own, the others
/// by the version label on a <c>current</c> one), each registry is still Ready, no drift is recorded, nothing rolls out
/// again, and the Quay user and token it stored still work.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class SandboxRestartTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("qg-sandbox-restart-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>Where each profile runs: the 3.6 operator profile on the <c>legacy</c> sandbox, every other release by label on <c>sandbox</c>.</summary>
    private static (string Cluster, string? VersionLabel) Placement(string profile) => profile == "3.6" ? ("legacy", null) : ("sandbox", profile);

    [Fact]
    public async Task A_restarted_gateway_finds_its_registries_ready_without_drift_and_their_quay_users_and_tokens_intact_on_every_profile()
    {
        await using var postgres = await DevPostgres.StartThrowawayAsync();
        string[] settings =
        [
            "--Gateway:Clusters:sandbox:sandbox=true", "--Gateway:Clusters:legacy:sandbox=true", "--Gateway:Clusters:legacy:profile=3.6",
            "--Gateway:Sandbox:PhaseDelay=00:00:00.050", "--Gateway:DefaultCluster=sandbox",
            $"--Gateway:Sandbox:StateDir={Path.Combine(_dir.FullName, "state")}",
            $"--Gateway:Sandbox:KubeconfigPath={Path.Combine(_dir.FullName, "sandbox.kubeconfig")}",
        ];

        var ids = new Dictionary<string, Guid>();
        var eventsBefore = new Dictionary<string, int>();
        await using (var first = await GatewayProcess.StartAsync(postgres.ConnectionString, GatewayFixture.AdminKey, settings))
        {
            using var http = Client(first);
            foreach (var profile in QuayVersions.Profiles)
            {
                var (cluster, label) = Placement(profile);
                var name = "restart-" + profile.Replace('.', '-');
                using var created = await http.PostAsJsonAsync("/v1/registries", new
                {
                    name, @namespace = name, cluster,
                    labels = label is null ? null : new Dictionary<string, string> { [QuayVersions.Label] = label },
                    configBundle = new Dictionary<string, string> { ["config.yaml"] = "FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n" },
                    initialUser = new { username = "quayadmin", email = "quayadmin@example.com", password = "restart-check-password" },
                });
                Assert.True(created.StatusCode == HttpStatusCode.Accepted, await created.Content.ReadAsStringAsync());
                ids[profile] = Guid.Parse((string)JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!);
            }

            foreach (var (profile, id) in ids)
            {
                var ready = await GatewayFixture.EventuallyAsync(
                    async () => JsonNode.Parse(await http.GetStringAsync($"/v1/registries/{id}"))!,
                    r => (string?)r["state"] == "Ready", TimeSpan.FromSeconds(90));
                Assert.True((string?)ready["state"] == "Ready", $"{profile}: {ready}");
                await AssertQuayUsersAsync(http, id, profile);
                eventsBefore[profile] = (await EventsAsync(http, id)).Count;
            }

            // Past the sandbox's flush interval; then the process is killed (GatewayProcess disposes by SIGKILL).
            await Task.Delay(TimeSpan.FromSeconds(1.5));
        }

        await using var second = await GatewayProcess.StartAsync(postgres.ConnectionString, GatewayFixture.AdminKey, settings);
        using var client = Client(second);
        // Time for the watch to list and the operator and gateway to reconcile.
        await Task.Delay(TimeSpan.FromSeconds(5));

        foreach (var (profile, id) in ids)
        {
            var after = JsonNode.Parse(await client.GetStringAsync($"/v1/registries/{id}"))!;
            Assert.True((string?)after["state"] == "Ready", $"{profile}: {after}");
            var events = await EventsAsync(client, id);
            var since = events.Skip(eventsBefore[profile]).Select(e => $"{e!["type"]} {e["state"]} {e["reason"]}: {e["message"]}").ToList();
            Assert.DoesNotContain(events, e => (string?)e!["type"] == "Drift");
            Assert.True(since.Count == 0, $"{profile}: recorded after the restart:\n" + string.Join("\n", since));
            await AssertQuayUsersAsync(client, id, profile);
        }
    }

    /// <summary>The gateway calls Quay with the token it stored at initialize.</summary>
    private static async Task AssertQuayUsersAsync(HttpClient http, Guid id, string profile)
    {
        using var users = await http.GetAsync($"/v1/registries/{id}/quay/users");
        var body = await users.Content.ReadAsStringAsync();
        Assert.True(users.StatusCode == HttpStatusCode.OK, $"{profile}: {body}");
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
