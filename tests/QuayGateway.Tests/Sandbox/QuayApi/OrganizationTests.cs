using System.Text.Json.Nodes;
using QuayGateway.Sandbox.QuayApi;

namespace QuayGateway.Tests.Sandbox.QuayApi;

public sealed class OrganizationTests
{
    private static readonly JsonObject Wire = QuayApiHarness.WireExamples();

    private static string ApiErrorType(string type) => $"http://{QuayApiHarness.Host}/api/v1/error/{type}";

    [Fact]
    public async Task Create_answers_201_with_the_raw_created_body()
    {
        var quay = new QuayApiHarness();
        var token = await quay.InitializeAdmin();

        var reply = await quay.Post("/api/v1/organization/", new { name = "testorg", email = "testorg@example.com" }, token);

        Assert.Equal(201, reply.Status);
        Assert.Equal(Wire["create_org"]!["success"]!["raw_body"]!.GetValue<string>(), reply.Body);
    }

    [Fact]
    public async Task Admin_view_matches_the_wire_example_byte_for_byte()
    {
        var quay = new QuayApiHarness();
        var token = await quay.InitializeAdmin();
        await quay.Post("/api/v1/organization/", new { name = "test", email = "new-contact@test-org.com" }, token);

        var reply = await quay.Get("/api/v1/organization/test", token);

        Assert.Equal(200, reply.Status);
        Assert.Equal(PythonJson.Restful(Wire["get_org_admin_view"]!["body"]), reply.Body);
    }

    [Fact]
    public async Task Anonymous_view_hides_email_and_teams()
    {
        var quay = new QuayApiHarness();
        var token = await quay.InitializeAdmin();
        await quay.Post("/api/v1/organization/", new { name = "test", email = "new-contact@test-org.com" }, token);

        var reply = await quay.Get("/api/v1/organization/test");

        var expected = Wire["get_org_non_member_view"]!["body"]!.AsObject();
        Assert.Equal(expected.Select(p => p.Key), reply.Json!.AsObject().Select(p => p.Key));
        Assert.Equal("", reply.Json!["email"]!.GetValue<string>());
        Assert.False(reply.Json!["is_admin"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Missing_org_is_a_not_found_api_error_naming_the_request_host()
    {
        var quay = new QuayApiHarness();
        var token = await quay.InitializeAdmin();

        var reply = await quay.Get("/api/v1/organization/nope", token);

        var expected = Wire["get_org_missing"]!["body"]!.DeepClone().AsObject();
        expected["type"] = ApiErrorType("not_found");
        Assert.Equal(404, reply.Status);
        Assert.Equal(PythonJson.Restful(expected), reply.Body);
    }

    [Theory]
    [InlineData("name_taken", "quayadmin", "other@example.com")]
    [InlineData("invalid_name", "MyOrg", "myorg@example.com")]
    public async Task Rejections_match_the_wire_examples(string example, string name, string email)
    {
        var quay = new QuayApiHarness();
        var token = await quay.InitializeAdmin();

        var reply = await quay.Post("/api/v1/organization/", new { name, email }, token);

        var expected = Wire["create_org"]![example]!["body"]!.DeepClone().AsObject();
        expected["type"] = ApiErrorType("invalid_request");
        Assert.Equal(400, reply.Status);
        Assert.Equal(PythonJson.Restful(expected), reply.Body);
    }

    [Theory]
    [InlineData("quayadmin@example.com", "Email has already been used: quayadmin@example.com")]
    [InlineData("", "Email address is required")]
    [InlineData("nope", "Invalid email address: nope")]
    public async Task Email_rules_of_quay_3_16(string email, string detail)
    {
        var quay = new QuayApiHarness();
        var token = await quay.InitializeAdmin();

        var reply = await quay.Post("/api/v1/organization/", new { name = "myorg", email }, token);

        Assert.Equal(400, reply.Status);
        Assert.Equal(detail, reply.Json!["detail"]!.GetValue<string>());
        Assert.Equal("invalid_request", reply.Json!["error_type"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_org_email_counts_as_used_for_the_next_org()
    {
        var quay = new QuayApiHarness();
        var token = await quay.InitializeAdmin();
        await quay.Post("/api/v1/organization/", new { name = "first", email = "shared@example.com" }, token);

        var reply = await quay.Post("/api/v1/organization/", new { name = "second", email = "shared@example.com" }, token);

        Assert.Equal("Email has already been used: shared@example.com", reply.Json!["detail"]!.GetValue<string>());
    }

    [Fact]
    public async Task Missing_name_is_a_schema_violation()
    {
        var quay = new QuayApiHarness();
        var token = await quay.InitializeAdmin();

        var reply = await quay.Post("/api/v1/organization/", new { email = "x@example.com" }, token);

        Assert.Equal(400, reply.Status);
        Assert.StartsWith("'name' is a required property", reply.Json!["detail"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_token_a_post_fails_the_csrf_check()
    {
        var quay = new QuayApiHarness();
        await quay.InitializeAdmin();

        var missing = await quay.Post("/api/v1/organization/", new { name = "myorg", email = "myorg@example.com" });
        var invalid = await quay.Post("/api/v1/organization/", new { name = "myorg", email = "myorg@example.com" }, "NOTATOKEN");

        var expected = PythonJson.Dumps(Wire["create_org"]!["no_or_invalid_or_expired_token"]!["body"], sortKeys: false, compact: false);
        Assert.Equal((403, expected), (missing.Status, missing.Body));
        Assert.Equal((403, expected), (invalid.Status, invalid.Body));
    }

    [Fact]
    public async Task The_token_expires_after_9000_seconds_of_the_sandbox_clock()
    {
        var quay = new QuayApiHarness();
        var token = await quay.InitializeAdmin();

        quay.Clock.Advance(TimeSpan.FromSeconds(8999));
        var before = await quay.Post("/api/v1/organization/", new { name = "early", email = "early@example.com" }, token);
        quay.Clock.Advance(TimeSpan.FromSeconds(1));
        var after = await quay.Post("/api/v1/organization/", new { name = "late", email = "late@example.com" }, token);
        var anonymousGet = await quay.Get("/api/v1/superuser/users/", token);

        Assert.Equal(201, before.Status);
        Assert.Equal(403, after.Status);
        Assert.Equal("CSRF token was invalid or missing.", after.Json!["error"]!.GetValue<string>());
        Assert.Equal(401, anonymousGet.Status);
    }

    [Fact]
    public async Task Only_superusers_may_create_orgs_when_the_config_says_so()
    {
        var quay = new QuayApiHarness("FEATURE_USER_INITIALIZE: true\nFEATURE_SUPERUSERS_ORG_CREATION_ONLY: true\n");
        var token = await quay.InitializeAdmin();

        var reply = await quay.Post("/api/v1/organization/", new { name = "myorg", email = "myorg@example.com" }, token);

        var expected = Wire["create_org"]!["authenticated_but_not_permitted"]!["body"]!.DeepClone().AsObject();
        expected["type"] = ApiErrorType("insufficient_scope");
        Assert.Equal(PythonJson.Restful(expected), reply.Body);
    }

    [Fact]
    public async Task Anonymous_reads_are_refused_when_anonymous_access_is_off()
    {
        var quay = new QuayApiHarness("FEATURE_USER_INITIALIZE: true\nFEATURE_ANONYMOUS_ACCESS: false\n");

        var reply = await quay.Get("/api/v1/organization/test");

        Assert.Equal(401, reply.Status);
        Assert.True(JsonNode.DeepEquals(Wire["anonymous_when_FEATURE_ANONYMOUS_ACCESS_false"]!["body"], reply.Json));
    }
}
