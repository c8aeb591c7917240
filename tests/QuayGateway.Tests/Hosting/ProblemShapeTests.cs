using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Hosting;

/// <summary>
/// Every error is a problem document whatever the client accepts, names the field at fault, says what would have been
/// accepted, and shows no .NET type name. Each case was found by a black-box run.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class ProblemShapeTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData("/v1/nowhere", "text/html", HttpStatusCode.NotFound)]
    [InlineData("/v1/nowhere", "text/plain", HttpStatusCode.NotFound)]
    [InlineData("/v1/registries", "text/html", HttpStatusCode.Unauthorized)]
    [InlineData("/v1/registries", "image/png", HttpStatusCode.Unauthorized)]
    public async Task An_error_is_a_problem_whatever_the_accept_header(string path, string accept, HttpStatusCode status)
    {
        using var client = gateway.Client(apiKey: status == HttpStatusCode.Unauthorized ? null : GatewayFixture.AdminKey);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(accept));

        using var response = await client.SendAsync(request);

        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal((int)status, (int?)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["status"]);
    }

    [Theory]
    [InlineData("""{"name":"typo","namespace":"typo","componets":[]}""", "componets")]
    [InlineData("""{"name":"typo","namespace":"typo","ticket":{"system":"jira","key":"OPS-1","priority":"high"}}""", "ticket.priority")]
    public async Task An_unknown_field_is_a_validation_problem_naming_it(string body, string field)
    {
        var problem = await PostAsync("/v1/registries", body);

        Assert.Equal("https://quaygateway.dev/problems/validation-failed", (string?)problem["type"]);
        Assert.NotNull(problem["errors"]![field]);
    }

    [Theory]
    [InlineData("""{"name":"types","namespace":"types","components":[{"kind":"clair","managed":"no"}]}""", "components[0].managed", "true or false")]
    [InlineData("""{"name":"types","namespace":"types","components":"clair"}""", "components", "array")]
    [InlineData("""{"name":["types"],"namespace":"types"}""", "name", "string")]
    public async Task A_value_of_the_wrong_type_says_what_was_expected_without_dotnet_names(string body, string field, string expected)
    {
        var problem = await PostAsync("/v1/registries", body);

        Assert.Equal("https://quaygateway.dev/problems/malformed-request", (string?)problem["type"]);
        Assert.Contains(expected, (string?)problem["errors"]![field]![0], StringComparison.Ordinal);
        Assert.DoesNotContain("QuayGateway.", problem.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("System.", problem.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_state_filter_lists_the_states()
    {
        using var response = await gateway.Client().GetAsync("/v1/registries?state=Exploded");

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = JsonNode.Parse(text)!;
        Assert.Contains("Available", (string?)problem["errors"]!["state"]![0], StringComparison.Ordinal);
        Assert.DoesNotContain("Nullable", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_body_is_a_problem_without_framework_words()
    {
        using var response = await gateway.Client().PostAsync("/v1/registries", new StringContent("", Encoding.UTF8, "application/json"));

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain("Implicit body", text, StringComparison.Ordinal);
        Assert.DoesNotContain("QuayGateway.", text, StringComparison.Ordinal);
    }

    private async Task<JsonNode> PostAsync(string path, string body)
    {
        using var response = await gateway.Client().PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!;
    }
}
