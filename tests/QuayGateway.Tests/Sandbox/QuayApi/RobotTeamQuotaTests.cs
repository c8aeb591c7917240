using System.Text.Json.Nodes;
using QuayGateway.Sandbox.QuayApi;

namespace QuayGateway.Tests.Sandbox.QuayApi;

/// <summary>
/// Robots, teams and quotas as Quay answers them (quay/quay endpoints/api/robot.py, team.py, namespacequota.py;
/// data-model errors through endpoints/decorated.py's 400 <c>{"message"}</c> handler).
/// </summary>
public sealed class RobotTeamQuotaTests
{
    private const string Host = QuayApiHarness.Host;

    private static async Task<(QuayApiHarness Quay, string Token)> WithOrgAsync(string config = "FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [quayadmin]\n")
    {
        var quay = new QuayApiHarness(config);
        var token = await quay.InitializeAdmin();
        Assert.Equal(201, (await quay.Post("/api/v1/organization/", new { name = "testorg", email = "testorg@example.com" }, token)).Status);
        return (quay, token);
    }

    private static Task<QuayReply> Put(QuayApiHarness quay, string path, object? body, string? token) =>
        quay.Send("PUT", path, body is null ? null : JsonNode.Parse(System.Text.Json.JsonSerializer.Serialize(body)), token, Host);

    private static Task<QuayReply> Delete(QuayApiHarness quay, string path, string? token) => quay.Send("DELETE", path, null, token, Host);

    [Fact]
    public async Task Robot_create_answers_201_with_org_plus_name_its_token_and_metadata()
    {
        var (quay, token) = await WithOrgAsync();

        var reply = await Put(quay, "/api/v1/organization/testorg/robots/ci", new { description = "CI pulls" }, token);

        Assert.Equal(201, reply.Status);
        Assert.Equal("application/json", reply.ContentType);
        var body = reply.Json!.AsObject();
        Assert.Equal(["name", "created", "last_accessed", "description", "token", "unstructured_metadata"], body.Select(p => p.Key));
        Assert.Equal("testorg+ci", body["name"]!.GetValue<string>());
        Assert.Matches("^[A-Z0-9]{64}$", body["token"]!.GetValue<string>());
        Assert.Matches(@"^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} -0000$", body["created"]!.GetValue<string>());
        Assert.Null(body["last_accessed"]);
        Assert.EndsWith("\n", reply.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_second_robot_of_that_name_and_an_invalid_name_are_invalid_request_api_errors()
    {
        var (quay, token) = await WithOrgAsync();
        await Put(quay, "/api/v1/organization/testorg/robots/ci", null, token);

        var again = await Put(quay, "/api/v1/organization/testorg/robots/ci", null, token);
        var invalid = await Put(quay, "/api/v1/organization/testorg/robots/CI!", null, token);

        Assert.Equal(400, again.Status);
        Assert.Equal("invalid_request", again.Json!["error_type"]!.GetValue<string>());
        Assert.Equal("Existing robot with name: testorg+ci", again.Json!["detail"]!.GetValue<string>());
        Assert.Equal(400, invalid.Status);
        Assert.StartsWith("The name for the robot 'CI!' is invalid: Namespace must match expression", invalid.Json!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_hides_tokens_with_token_false_regenerate_changes_it_and_delete_answers_204_then_400()
    {
        var (quay, token) = await WithOrgAsync();
        var first = (await Put(quay, "/api/v1/organization/testorg/robots/ci", null, token)).Json!["token"]!.GetValue<string>();

        var list = await quay.Get("/api/v1/organization/testorg/robots?token=false", token);
        var regenerated = await quay.Post("/api/v1/organization/testorg/robots/ci/regenerate", null, token);
        var deleted = await Delete(quay, "/api/v1/organization/testorg/robots/ci", token);
        var again = await Delete(quay, "/api/v1/organization/testorg/robots/ci", token);
        var regenerateMissing = await quay.Post("/api/v1/organization/testorg/robots/ci/regenerate", null, token);

        var robot = list.Json!["robots"]!.AsArray().Single()!.AsObject();
        Assert.Equal(["name", "created", "last_accessed", "teams", "repositories", "description"], robot.Select(p => p.Key));
        Assert.Equal(200, regenerated.Status);
        Assert.NotEqual(first, regenerated.Json!["token"]!.GetValue<string>());
        Assert.Null(regenerated.Json!["unstructured_metadata"]);
        Assert.Equal((204, ""), (deleted.Status, deleted.Body));
        // A DataModelException through Quay's app-wide handler: jsonify, not an ApiError.
        Assert.Equal(400, again.Status);
        Assert.Equal("{\"message\":\"Could not find robot with username: testorg+ci\"}\n", again.Body);
        Assert.Equal("{\"message\":\"Could not find robot with specified username\"}\n", regenerateMissing.Body);
    }

    [Fact]
    public async Task Robots_of_an_org_the_caller_does_not_administer_are_unauthorized_and_anonymous_writes_meet_csrf()
    {
        var (quay, token) = await WithOrgAsync();

        var foreign = await quay.Get("/api/v1/organization/otherorg/robots", token);
        var anonymous = await Put(quay, "/api/v1/organization/testorg/robots/ci", null, null);

        Assert.Equal(403, foreign.Status);
        Assert.Equal("insufficient_scope", foreign.Json!["error_type"]!.GetValue<string>());
        Assert.Equal(403, anonymous.Status);
        Assert.Equal("CSRF token was invalid or missing.", anonymous.Json!["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Team_put_creates_then_updates_with_team_view_and_members_are_added_or_invited()
    {
        var (quay, token) = await WithOrgAsync();
        await Put(quay, "/api/v1/organization/testorg/robots/ci", null, token);

        var created = await Put(quay, "/api/v1/organization/testorg/team/devs", new { role = "member" }, token);
        var updated = await Put(quay, "/api/v1/organization/testorg/team/devs", new { role = "creator" }, token);
        var robot = await Put(quay, "/api/v1/organization/testorg/team/devs/members/testorg+ci", null, token);
        var admin = await Put(quay, "/api/v1/organization/testorg/team/devs/members/quayadmin", null, token);
        var unknown = await Put(quay, "/api/v1/organization/testorg/team/devs/members/nobody", null, token);
        var members = await quay.Get("/api/v1/organization/testorg/team/devs/members", token);
        var badRole = await Put(quay, "/api/v1/organization/testorg/team/devs", new { role = "owner" }, token);
        var noRole = await Put(quay, "/api/v1/organization/testorg/team/devs", new { description = "x" }, token);

        Assert.Equal(200, created.Status);
        Assert.Equal(["name", "description", "can_view", "role", "avatar", "new_team"], created.Json!.AsObject().Select(p => p.Key));
        Assert.True(created.Json!["new_team"]!.GetValue<bool>());
        Assert.Equal(("creator", false), (updated.Json!["role"]!.GetValue<string>(), updated.Json!["new_team"]!.GetValue<bool>()));
        Assert.Equal("team", created.Json!["avatar"]!["kind"]!.GetValue<string>());
        Assert.Equal((true, false), (robot.Json!["is_robot"]!.GetValue<bool>(), robot.Json!["invited"]!.GetValue<bool>()));
        Assert.False(admin.Json!["invited"]!.GetValue<bool>()); // a member of the org (owners) is added directly
        Assert.Equal(400, unknown.Status);
        Assert.Equal("Unknown user", unknown.Json!["detail"]!.GetValue<string>());
        Assert.Equal(["quayadmin", "testorg+ci"], members.Json!["members"]!.AsArray().Select(m => m!["name"]!.GetValue<string>()));
        Assert.Equal(400, badRole.Status);
        Assert.StartsWith("'owner' is not one of ['member', 'creator', 'admin']", badRole.Json!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("'role' is a required property", noRole.Json!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Removing_a_member_answers_204_and_a_non_member_is_a_data_model_400()
    {
        var (quay, token) = await WithOrgAsync();
        await Put(quay, "/api/v1/organization/testorg/robots/ci", null, token);
        await Put(quay, "/api/v1/organization/testorg/team/devs", new { role = "member" }, token);
        await Put(quay, "/api/v1/organization/testorg/team/devs/members/testorg+ci", null, token);

        var removed = await Delete(quay, "/api/v1/organization/testorg/team/devs/members/testorg+ci", token);
        var again = await Delete(quay, "/api/v1/organization/testorg/team/devs/members/testorg+ci", token);

        Assert.Equal(204, removed.Status);
        Assert.Equal("{\"message\":\"User testorg+ci does not belong to team devs\"}\n", again.Body);
    }

    [Fact]
    public async Task Quota_endpoints_do_not_exist_without_FEATURE_QUOTA_MANAGEMENT()
    {
        var (quay, token) = await WithOrgAsync();

        var reply = await quay.Post("/api/v1/organization/testorg/quota", new { limit_bytes = 1024 }, token);

        Assert.Equal(404, reply.Status);
        Assert.Equal("not_found", reply.Json!["error_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Quota_is_created_once_listed_with_quota_view_and_changed_by_id()
    {
        var (quay, token) = await WithOrgAsync("FEATURE_USER_INITIALIZE: true\nFEATURE_QUOTA_MANAGEMENT: true\nSUPER_USERS: [quayadmin]\n");

        var created = await quay.Post("/api/v1/organization/testorg/quota", new { limit_bytes = 10737418240L }, token);
        var twice = await quay.Post("/api/v1/organization/testorg/quota", new { limit_bytes = 1 }, token);
        var list = await quay.Get("/api/v1/organization/testorg/quota", token);
        var id = list.Json!.AsArray().Single()!["id"]!.GetValue<int>();
        var changed = await Put(quay, $"/api/v1/organization/testorg/quota/{id}", new { limit_bytes = 5368709120L }, token);

        Assert.Equal((201, "\"Created\"\n"), (created.Status, created.Body));
        Assert.Equal("Organization quota for 'testorg' already exists", twice.Json!["detail"]!.GetValue<string>());
        var quota = list.Json!.AsArray().Single()!.AsObject();
        Assert.Equal(["id", "limit_bytes", "limit", "default_config", "limits", "default_config_exists"], quota.Select(p => p.Key));
        Assert.Equal("10.0 GiB", quota["limit"]!.GetValue<string>());
        Assert.Equal((200, 5368709120L, "5.0 GiB"), (changed.Status, changed.Json!["limit_bytes"]!.GetValue<long>(), changed.Json!["limit"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Creating_a_quota_needs_a_superuser()
    {
        var (quay, token) = await WithOrgAsync("FEATURE_USER_INITIALIZE: true\nFEATURE_QUOTA_MANAGEMENT: true\n");

        var reply = await quay.Post("/api/v1/organization/testorg/quota", new { limit_bytes = 1024 }, token);

        Assert.Equal(403, reply.Status);
        Assert.Equal("insufficient_scope", reply.Json!["error_type"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(500L, "500.0 Byte")]
    [InlineData(1536L, "1.5 KiB")]
    [InlineData(1073741824L, "1.0 GiB")]
    public void Quota_limit_text_is_bitmaths_best_prefix(long bytes, string expected) =>
        Assert.Equal(expected, QuayEndpoints.BestPrefix(bytes));
}
