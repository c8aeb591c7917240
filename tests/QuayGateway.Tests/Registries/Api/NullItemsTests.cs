using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Registries.Api;

/// <summary>JSON allows null items and missing fields where the model has none; each was a 500 and is now a 400 naming the item.</summary>
[Collection(GatewayCollection.Name)]
public sealed class NullItemsTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData("""{"name":"null-items","namespace":"null-items","components":[null]}""", "components[0]")]
    [InlineData("""{"name":"null-items","namespace":"null-items","components":[{"kind":"clair","managed":false},null]}""", "components[1]")]
    [InlineData("""{"name":"null-items","namespace":"null-items","components":[{"managed":false}]}""", "components[0].kind")]
    [InlineData("""{"name":"null-items","namespace":"null-items","organizations":[null]}""", "organizations[0]")]
    public async Task A_create_with_a_null_item_or_a_missing_kind_is_a_validation_problem(string body, string field)
    {
        using var response = await gateway.Client().PostAsync("/v1/registries", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertFieldErrorAsync(response, field);
    }

    [Theory]
    [InlineData("""{"components":[null]}""", "components[0]")]
    [InlineData("""{"components":[{"managed":false}]}""", "components[0].kind")]
    public async Task A_patch_with_a_null_item_or_a_missing_kind_is_a_validation_problem(string body, string field)
    {
        using var created = await gateway.Client().PostAsync("/v1/registries", new StringContent(
            $$"""{"name":"patch-nulls-{{Guid.NewGuid().ToString("N")[..8]}}","namespace":"patch-nulls"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.Accepted, created.StatusCode);
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();

        // A PATCH waits for the create's apply to finish (409 change-in-progress until then). A hang guard, not a timing.
        var state = "Accepted";
        for (var waited = TimeSpan.Zero; state is "Accepted" or "Applying" && waited < TimeSpan.FromSeconds(60); waited += TimeSpan.FromMilliseconds(200))
        {
            await Task.Delay(200);
            state = JsonNode.Parse(await gateway.Client().GetStringAsync($"/v1/registries/{id}"))!["state"]!.GetValue<string>();
        }

        using var response = await gateway.Client().PatchAsync($"/v1/registries/{id}", new StringContent(body, Encoding.UTF8, "application/json"));

        await AssertFieldErrorAsync(response, field);
    }

    private static async Task AssertFieldErrorAsync(HttpResponseMessage response, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode}: {text}");
        var problem = JsonNode.Parse(text)!;
        Assert.Equal("https://quaygateway.dev/problems/validation-failed", (string?)problem["type"]);
        Assert.NotNull(problem["errors"]![field]);
    }
}
