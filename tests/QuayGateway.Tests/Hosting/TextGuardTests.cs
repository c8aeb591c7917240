using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// PostgreSQL refuses NUL in text, so a NUL that reached a query or an INSERT was a 500. Each of these was found by a
/// black-box run; each is now a 400 validation problem naming the field.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TextGuardTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData("/v1/registries?namespace=%00", "namespace")]
    [InlineData("/v1/registries?cluster=%00", "cluster")]
    [InlineData("/v1/registries?cluster=a%01b", "cluster")]
    [InlineData("/v1/api-keys?tenant=%00", "tenant")]
    [InlineData("/v1/events?type=%00&x=1", "type")]
    public async Task A_control_character_in_a_query_parameter_is_a_validation_problem(string url, string field)
    {
        using var response = await gateway.Client().GetAsync(url);

        await AssertValidationProblemAsync(response, field);
    }

    [Theory]
    [InlineData("/v1/api-keys", """{"name":"a\u0000b","scopes":["registries:read"]}""", "name")]
    [InlineData("/v1/webhooks", """{"url":"https://hooks.example.com/a\u0000b","events":["registry.ready"]}""", "url")]
    [InlineData("/v1/registries", """{"name":"nul-ticket","namespace":"nul-ticket","ticket":{"system":"jira","key":"A\u0000B"}}""", "ticket.key")]
    public async Task A_nul_in_a_json_string_is_a_validation_problem(string path, string body, string field)
    {
        using var response = await gateway.Client().PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertValidationProblemAsync(response, field);
    }

    [Theory]
    [InlineData("/v1/api-keys", """{"name":"line\nbreak","scopes":["registries:read"]}""", "name", "one line")]
    [InlineData("/v1/api-keys", """{"name":"tab\tbed","scopes":["registries:read"]}""", "name", "one line")]
    [InlineData("/v1/api-keys", """{"name":"bell\u0007","scopes":["registries:read"]}""", "name", "one line")]
    [InlineData("/v1/api-keys", """{"name":"del\u007f","scopes":["registries:read"]}""", "name", "one line")]
    [InlineData("/v1/webhooks", """{"url":"https://hooks.example.com/a","events":["registry.ready"],"auth":{"bearerToken":"abc\r\nX-Injected: 1"}}""", "auth.bearerToken", "one line")]
    [InlineData("/v1/registries", """{"name":"ctl-ticket","namespace":"ctl-ticket","ticket":{"system":"jira\n","key":"A-1"}}""", "ticket.system", "one line")]
    [InlineData("/v1/registries", """{"name":"ctl-bundle","namespace":"ctl-bundle","configBundle":{"config.yaml":"A: 1\u0001"}}""", "configBundle['config.yaml']", "other than tab")]
    [InlineData("/v1/registries", """{"name":"nul-overrides","namespace":"nul-overrides","components":[{"kind":"quay","managed":true,"overrides":{"env":[{"name":"A","value":"x\u0000"}]}}]}""", "components[0].overrides.env", "NUL")]
    public async Task A_control_character_where_it_makes_no_sense_is_a_validation_problem(string path, string body, string field, string says)
    {
        using var response = await gateway.Client().PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await AssertValidationProblemAsync(response, field);
        Assert.Contains(says, problem["errors"]![field]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/api-keys", "name", """{"name":"NAME","scopes":["registries:read"]}""", 1025)]
    [InlineData("/v1/webhooks", "url", """{"url":"https://hooks.example.com/NAME","events":["registry.ready"]}""", 2049)]
    [InlineData("/v1/webhooks", "auth.bearerToken", """{"url":"https://hooks.example.com/a","events":["registry.ready"],"auth":{"bearerToken":"NAME"}}""", 16385)]
    [InlineData("/v1/registries", "initialUser.password", """{"name":"long-pw","namespace":"long-pw","initialUser":{"username":"admin","email":"a@example.com","password":"NAME"}}""", 1025)]
    public async Task A_string_longer_than_its_field_takes_is_a_validation_problem_naming_the_bound(string path, string field, string template, int length)
    {
        var body = template.Replace("NAME", new string('a', length), StringComparison.Ordinal);

        using var response = await gateway.Client().PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        var problem = await AssertValidationProblemAsync(response, field);
        Assert.Contains($"at most {length - 1}", problem["errors"]![field]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Multi_line_text_keeps_its_tabs_and_line_breaks_and_a_long_url_up_to_its_bound_is_taken()
    {
        // A config.yaml is multi-line by nature: the same characters a name may not hold are fine in it. (The bad name
        // keeps this from creating anything; that the body was read shows in the name being the only error.)
        using var registry = await gateway.Client().PostAsync("/v1/registries",
            new StringContent("""{"name":"Not_A_Name","namespace":"multi-line","configBundle":{"config.yaml":"FEATURE_MAILING: false\r\nTAGS:\n  - a\t# tab\n"}}""",
                Encoding.UTF8, "application/json"));
        var problem = await AssertValidationProblemAsync(registry, "name");
        Assert.Equal(["name"], problem["errors"]!.AsObject().Select(e => e.Key));

        var url = "http://127.0.0.1:9/" + new string('a', 2048 - "http://127.0.0.1:9/".Length);
        using var webhook = await gateway.Client().PostAsync("/v1/webhooks",
            new StringContent($$"""{"url":"{{url}}","events":["registry.ready"]}""", Encoding.UTF8, "application/json"));
        Assert.True(webhook.StatusCode == HttpStatusCode.Created, $"{(int)webhook.StatusCode}: {await webhook.Content.ReadAsStringAsync()}");
    }

    [Fact]
    public async Task A_nul_in_a_patch_is_refused_too()
    {
        using var created = await gateway.Client().PostAsync("/v1/webhooks",
            new StringContent("""{"url":"http://127.0.0.1:9/ok","events":["registry.ready"]}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        using var response = await gateway.Client().PatchAsync($"/v1/webhooks/{id}",
            new StringContent("""{"url":"https://hooks.example.com/\u0000"}""", Encoding.UTF8, "application/json"));

        await AssertValidationProblemAsync(response, "url");
    }

    [Theory]
    [InlineData("application/json; charset=")]
    [InlineData("application/json; charset=foo")]
    [InlineData("application/json; charset=\"\"")]
    public async Task An_empty_or_unknown_charset_is_415(string contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/registries")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"name":"charset","namespace":"charset"}""")),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await gateway.Client().SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.UnsupportedMediaType, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("https://quaygateway.dev/problems/unsupported-media-type", (string?)JsonNode.Parse(text)!["type"]);
    }

    /// <summary>Found by the fuzzer: the framework's JSON reader took the quotes for part of the charset's name (a 500).</summary>
    [Theory]
    [InlineData("application/json; charset=\"utf-8\"")]
    [InlineData("application/json; charset=\"UTF-8\"")]
    public async Task A_quoted_charset_is_read_like_the_plain_one(string contentType)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/api-keys")
        {
            Content = new ByteArrayContent(Encoding.UTF8.GetBytes("""{"name":"quoted-charset","scopes":["registries:read"]}""")),
        };
        request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);

        using var response = await gateway.Client().SendAsync(request);

        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {text}");
    }

    private static async Task<JsonNode> AssertValidationProblemAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal("https://quaygateway.dev/problems/validation-failed", (string?)problem["type"]);
        Assert.True(problem["errors"]![field] is not null, text);
        Assert.DoesNotContain('\0', text);
        return problem;
    }
}
