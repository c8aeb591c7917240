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

    private static async Task AssertValidationProblemAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(text)!;
        Assert.Equal("https://quaygateway.dev/problems/validation-failed", (string?)problem["type"]);
        Assert.NotNull(problem["errors"]![field]);
        Assert.DoesNotContain('\0', text);
    }
}
