using System.Net;
using System.Text.Json.Nodes;
using QuayGateway.Registries.Api;
using QuayGateway.Tests.Infrastructure;

namespace QuayGateway.Tests.Registries.Api;

/// <summary>Answers a newcomer meets first: the 401 says which header to send; the operator's time is ISO 8601.</summary>
[Collection(GatewayCollection.Name)]
public sealed class FirstRunAnswersTests(GatewayFixture gateway)
{
    [Theory]
    [InlineData("qgw-not-a-key-anyone-has", "X-Api-Key header is not valid")]
    [InlineData(null, "Send an API key in the X-Api-Key header")]
    public async Task A_401_says_which_header_to_send(string? key, string detail)
    {
        using var response = await gateway.Client(apiKey: key).GetAsync("/v1/registries");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("https://quaygateway.dev/problems/unauthorized", (string?)problem["type"]);
        Assert.Contains(detail, (string?)problem["detail"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("2021-09-14 10:52:05.371425635 +0000 UTC", "2021-09-14T10:52:05.3714256+00:00")]
    [InlineData("2021-09-14 12:52:05 +0200 CEST", "2021-09-14T10:52:05+00:00")]
    [InlineData("2021-09-14T10:52:05Z", "2021-09-14T10:52:05+00:00")]
    public void The_operators_lastUpdated_reads_as_iso_8601(string operatorText, string iso) =>
        Assert.Equal(DateTimeOffset.Parse(iso, System.Globalization.CultureInfo.InvariantCulture), GetRegistryStatus.OperatorTime(operatorText));

    [Theory]
    [InlineData(null)]
    [InlineData("yesterday")]
    public void An_unreadable_lastUpdated_is_null(string? text) => Assert.Null(GetRegistryStatus.OperatorTime(text));
}
