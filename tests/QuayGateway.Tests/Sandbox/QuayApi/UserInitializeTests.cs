using System.Text.Json.Nodes;
using QuayGateway.Sandbox.QuayApi;

namespace QuayGateway.Tests.Sandbox.QuayApi;

public sealed class UserInitializeTests
{
    private static readonly JsonObject Wire = (JsonObject)QuayApiHarness.WireExamples()["user_initialize"]!;

    private static object Body(string username = "quayadmin", string password = "quaypass123", string? email = "quayadmin@example.com") =>
        email is null ? new { username, password } : new { username, password, email };

    [Fact]
    public async Task Success_returns_sorted_compact_body_with_a_40_character_token()
    {
        var quay = new QuayApiHarness();

        var reply = await quay.Post("/api/v1/user/initialize", Wire["request"]!["body"]);

        Assert.Equal(200, reply.Status);
        Assert.Equal("application/json", reply.ContentType);
        var body = reply.Json!.AsObject();
        Assert.Equal(["access_token", "email", "encrypted_password", "username"], body.Select(p => p.Key));
        Assert.Matches("^[A-Z0-9]{40}$", body["access_token"]!.GetValue<string>());
        Assert.Equal(64, body["encrypted_password"]!.GetValue<string>().Length);
        Assert.StartsWith("{\"access_token\":\"", reply.Body, StringComparison.Ordinal);
        Assert.EndsWith("\"username\":\"quayadmin\"}\n", reply.Body, StringComparison.Ordinal);
        Assert.Contains("_csrf_token=", reply.Headers.SetCookie.ToString(), StringComparison.Ordinal);
        Assert.Equal(64, reply.Headers["X-Next-CSRF-Token"].ToString().Length);
    }

    [Fact]
    public async Task Without_access_token_and_mailing_off_email_is_null_and_no_token_is_issued()
    {
        var quay = new QuayApiHarness("FEATURE_USER_INITIALIZE: true\nFEATURE_MAILING: false\n");

        var reply = await quay.Post("/api/v1/user/initialize", Body(email: null));

        Assert.Equal(200, reply.Status);
        var expected = Wire["success_without_access_token_and_email_FEATURE_MAILING_false"]!["body"]!.AsObject();
        Assert.Equal(expected.Select(p => p.Key), reply.Json!.AsObject().Select(p => p.Key));
        Assert.Null(reply.Json!["email"]);
    }

    [Fact]
    public async Task Feature_off_answers_404_with_json_text_served_as_html()
    {
        var quay = new QuayApiHarness("SUPER_USERS: [quayadmin]\n");

        var reply = await quay.Post("/api/v1/user/initialize", Body());

        Assert.Equal(404, reply.Status);
        Assert.StartsWith("text/html", reply.ContentType, StringComparison.Ordinal);
        Assert.Equal("{\"error\": \"Not Found\"}", reply.Body);
        Assert.True(JsonNode.DeepEquals(Wire["feature_disabled"]!["body"], reply.Json));
    }

    [Theory]
    [InlineData("non_database_auth", "FEATURE_USER_INITIALIZE: true\nAUTHENTICATION_TYPE: LDAP\n", "quayadmin", "quaypass123", "quayadmin@example.com")]
    [InlineData("bad_password", "FEATURE_USER_INITIALIZE: true\n", "quayadmin", "pass123", "quayadmin@example.com")]
    [InlineData("bad_password", "FEATURE_USER_INITIALIZE: true\n", "quayadmin", "quay pass123", "quayadmin@example.com")]
    [InlineData("missing_email_when_FEATURE_MAILING_true", "FEATURE_USER_INITIALIZE: true\n", "quayadmin", "quaypass123", null)]
    [InlineData("invalid_username", "FEATURE_USER_INITIALIZE: true\n", "QuayAdmin", "quaypass123", "quayadmin@example.com")]
    [InlineData("username_too_short", "FEATURE_USER_INITIALIZE: true\n", "q", "quaypass123", "quayadmin@example.com")]
    public async Task Rejections_match_the_wire_examples(string example, string config, string username, string password, string? email)
    {
        var quay = new QuayApiHarness(config);

        var reply = await quay.Post("/api/v1/user/initialize", Body(username, password, email));

        Assert.Equal(Wire[example]!["status"]!.GetValue<int>(), reply.Status);
        Assert.Equal(PythonJson.Jsonify(Wire[example]!["body"]), reply.Body);
        Assert.True(quay.Simulator.Serves(QuayApiHarness.Host));
    }

    [Fact]
    public async Task Invalid_email_names_the_value()
    {
        var quay = new QuayApiHarness();

        var reply = await quay.Post("/api/v1/user/initialize", Body(email: "not-an-email"));

        Assert.Equal(400, reply.Status);
        Assert.Equal("Failed to initialize user: Invalid email address: not-an-email", reply.Json!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Second_initialize_is_refused_because_the_database_is_not_empty()
    {
        var quay = new QuayApiHarness();
        await quay.InitializeAdmin();

        var reply = await quay.Post("/api/v1/user/initialize", Body("quayuser2", email: "quayuser2@example.com"));

        Assert.Equal(400, reply.Status);
        Assert.Equal(PythonJson.Jsonify(Wire["non_empty_db"]!["body"]), reply.Body);
    }

    [Fact]
    public async Task Missing_password_is_an_unhandled_500()
    {
        var quay = new QuayApiHarness();

        var reply = await quay.Post("/api/v1/user/initialize", new { username = "quayadmin" });

        Assert.Equal(Wire["missing_username_or_password_key"]!["status"]!.GetValue<int>(), reply.Status);
        Assert.True(quay.Simulator.IsOpen("quay-enterprise/example-registry"));
    }

    [Fact]
    public async Task Each_registry_has_its_own_database_and_config()
    {
        var quay = new QuayApiHarness();
        const string other = "other-quay-ns.apps.sandbox.quaygateway.local";
        quay.Simulator.Open("ns/other", [other, "registry.example.com:443"], QuayApiHarness.Config("FEATURE_USER_INITIALIZE: false\n"));
        await quay.InitializeAdmin();

        var closed = await quay.Post("/api/v1/user/initialize", Body(), host: other);
        quay.Simulator.Open("ns/other", [other], QuayApiHarness.Config("FEATURE_USER_INITIALIZE: true\n"));
        var opened = await quay.Post("/api/v1/user/initialize", Body(), host: other + ":8443");

        Assert.Equal(404, closed.Status);
        Assert.Equal(200, opened.Status);
        Assert.False(quay.Simulator.Serves("registry.example.com"));
        quay.Simulator.Close("ns/other");
        Assert.False(quay.Simulator.Serves(other));
    }
}
