using System.Text.Json.Nodes;
using QuayGateway.Sandbox.QuayApi;

namespace QuayGateway.Tests.Sandbox.QuayApi;

public sealed class SuperuserAndHealthTests
{
    private static readonly JsonObject Wire = QuayApiHarness.WireExamples();

    [Fact]
    public async Task Superuser_list_shows_the_user_with_its_avatar_and_super_user_flag()
    {
        var quay = new QuayApiHarness();
        var token = await quay.InitializeAdmin();

        var reply = await quay.Get("/api/v1/superuser/users/", token);

        Assert.Equal(200, reply.Status);
        var expected = Wire["superuser_list_users"]!["body"]!.DeepClone().AsObject();
        expected["users"]![0]!["avatar"] = new JsonObject
        {
            ["name"] = "quayadmin",
            ["hash"] = "3e82e9cbf62d25dec0ed1b4c66ca7c5d47ab9f1f271958298dea856fb26adc4c",
            ["color"] = "#e7ba52",
            ["kind"] = "user",
        };
        Assert.Equal(PythonJson.Restful(expected), reply.Body);
    }

    [Fact]
    public async Task A_user_not_in_SUPER_USERS_gets_insufficient_scope()
    {
        var quay = new QuayApiHarness("FEATURE_USER_INITIALIZE: true\nSUPER_USERS: [someoneelse]\n");
        var token = await quay.InitializeAdmin();

        var reply = await quay.Get("/api/v1/superuser/users/", token);

        Assert.Equal(403, reply.Status);
        Assert.Equal("insufficient_scope", reply.Json!["error_type"]!.GetValue<string>());
        Assert.Equal("Unauthorized", reply.Json!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Without_a_token_the_list_requires_authentication()
    {
        var quay = new QuayApiHarness();

        var reply = await quay.Get("/api/v1/superuser/users/");

        Assert.Equal(401, reply.Status);
        Assert.Equal(("invalid_token", "Requires authentication"),
            (reply.Json!["error_type"]!.GetValue<string>(), reply.Json!["detail"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("101", 400)]
    [InlineData("100", 200)]
    [InlineData("abc", 400)]
    public async Task Page_limit_cannot_be_above_100(string limit, int status)
    {
        var quay = new QuayApiHarness();
        var token = await quay.InitializeAdmin();

        var reply = await quay.Get($"/api/v1/superuser/users/?limit={limit}", token);

        Assert.Equal(status, reply.Status);
        if (limit == "101")
        {
            Assert.Equal("Page limit cannot be above 100", reply.Json!["detail"]!.GetValue<string>());
        }
    }

    [Theory]
    [InlineData("/health/instance", "health_instance")]
    [InlineData("/health/endtoend", "health_endtoend")]
    public async Task Health_bodies_are_sorted_jsonify_output(string path, string example)
    {
        var quay = new QuayApiHarness();

        var reply = await quay.Get(path);

        Assert.Equal(200, reply.Status);
        Assert.Equal(PythonJson.Jsonify(Wire[example]!["body"]), reply.Body);
    }

    [Theory]
    [InlineData("test", "new-contact@test-org.com", "user", "a15d479002b20f211568fd4419e76686d2b88a4980a5b4c4bc10420776c5f6fe", "#aec7e8")]
    [InlineData("owners", "owners", "team", "6f0e3a8c0eb46e8834b43b03374ece43a030621d92a7437beb48f871e90f8d90", "#c7c7c7")]
    [InlineData("quayadmin", "quayadmin@example.com", "user", "3e82e9cbf62d25dec0ed1b4c66ca7c5d47ab9f1f271958298dea856fb26adc4c", "#e7ba52")]
    [InlineData("testorg", " TestOrg@Example.com ", "user", "5f113632ad532fc78215c9258a4fb60606d1fa386c91b141116a1317bf9c53c8", "#a55194")]
    [InlineData("owners", null, "team", "6f0e3a8c0eb46e8834b43b03374ece43a030621d92a7437beb48f871e90f8d90", "#c7c7c7")]
    public void Avatars_match_quay(string name, string? email, string kind, string hash, string color)
    {
        var avatar = Avatar.For(name, email, kind);

        Assert.Equal(new JsonObject { ["name"] = name, ["hash"] = hash, ["color"] = color, ["kind"] = kind }.ToJsonString(), avatar.ToJsonString());
    }

    [Fact]
    public async Task Injected_errors_answer_the_status_for_matching_paths_only()
    {
        var quay = new QuayApiHarness();
        quay.Faults.AddError(new QuayGateway.Sandbox.Faults.QuayApiErrorFault(429, 1.0, "/api/v1/superuser"));

        var limited = await quay.Get("/api/v1/superuser/users/");
        var healthy = await quay.Get("/health/instance");
        quay.Faults.Clear();
        var cleared = await quay.Get("/api/v1/superuser/users/");

        Assert.Equal(429, limited.Status);
        Assert.Equal("1", limited.Headers.RetryAfter.ToString());
        Assert.Equal(200, healthy.Status);
        Assert.Equal(401, cleared.Status);
    }

    [Fact]
    public async Task A_hang_holds_the_request_until_cleared()
    {
        var quay = new QuayApiHarness();
        quay.Faults.AddHang();

        var pending = quay.Get("/health/instance");
        await Task.Delay(100);
        Assert.False(pending.IsCompleted);
        quay.Faults.Clear();
        var reply = await pending.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(200, reply.Status);
    }

    [Fact]
    public async Task A_hung_request_ends_when_the_client_gives_up()
    {
        var quay = new QuayApiHarness();
        quay.Faults.AddHang("/health");
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));

        var reply = await quay.Send("GET", "/health/instance", null, null, QuayApiHarness.Host, giveUp.Token).WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal("", reply.Body);
    }

    [Fact]
    public async Task A_lost_answer_carries_the_request_out_but_never_answers_a_client_that_gave_up()
    {
        var quay = new QuayApiHarness();
        quay.Faults.AddHang("/api/v1/user/initialize", answerLost: true);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var body = JsonNode.Parse("""{"username":"quayadmin","password":"quaypass123","email":"quayadmin@example.com","access_token":true}""");

        var lost = await quay.Send("POST", "/api/v1/user/initialize", body, null, QuayApiHarness.Host, giveUp.Token).WaitAsync(TimeSpan.FromSeconds(5));
        quay.Faults.Clear();
        var again = await quay.Send("POST", "/api/v1/user/initialize", body, null, QuayApiHarness.Host);

        Assert.Equal("", lost.Body);
        Assert.Equal(400, again.Status);
        Assert.Equal("Cannot initialize user in a non-empty database", again.Json!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_lost_answer_is_delivered_when_the_hang_is_cleared_in_time()
    {
        var quay = new QuayApiHarness();
        quay.Faults.AddHang("/api/v1/user/initialize", answerLost: true);

        var pending = quay.Post("/api/v1/user/initialize",
            new { username = "quayadmin", password = "quaypass123", email = "quayadmin@example.com", access_token = true });
        await Task.Delay(100);
        Assert.False(pending.IsCompleted);
        quay.Faults.Clear();
        var reply = await pending.WaitAsync(TimeSpan.FromSeconds(5));

        Assert.Equal(200, reply.Status);
        Assert.Equal(40, reply.Json!["access_token"]!.GetValue<string>().Length);
    }
}
