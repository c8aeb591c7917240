using System.Globalization;
using Xunit.Abstractions;

namespace QuayGateway.Tests.Fuzz;

/// <summary>
/// One campaign with a fixed seed against a real gateway process, shared by the facts below. Each fact checks one
/// promise over every answer. QG_FUZZ_REQUESTS and QG_FUZZ_SEED change its size and seed.
/// </summary>
public sealed class FuzzCampaignFixture : IAsyncLifetime
{
    public FuzzReport Report { get; private set; } = null!;

    public ApiDocument Document { get; } = ApiDocument.LoadCommitted();

    public bool AliveAtTheEnd { get; private set; }

    public string GatewayOutput { get; private set; } = "";

    public async Task InitializeAsync()
    {
        await using var gateway = await FuzzGateway.StartAsync();
        var requests = int.Parse(Environment.GetEnvironmentVariable("QG_FUZZ_REQUESTS") ?? "4000", CultureInfo.InvariantCulture);
        var seed = int.Parse(Environment.GetEnvironmentVariable("QG_FUZZ_SEED") ?? "20261205", CultureInfo.InvariantCulture);
        Report = await new FuzzCampaign(Document, gateway.Process.Url, FuzzGateway.AdminKey).RunAsync(requests, seed);
        AliveAtTheEnd = !gateway.Process.HasExited && await AnswersAsync(gateway.Process.Url);
        GatewayOutput = gateway.Process.Output;
    }

    private static async Task<bool> AnswersAsync(string url)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(60) };
        try
        {
            return (await http.GetAsync($"{url}/readyz")).IsSuccessStatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

public sealed class FuzzTests(FuzzCampaignFixture campaign, ITestOutputHelper output) : IClassFixture<FuzzCampaignFixture>
{
    private FuzzReport Report => campaign.Report;

    [Fact]
    public void Every_operation_is_fuzzed_with_every_scope_combination()
    {
        output.WriteLine(Report.HistogramText());
        var auths = Report.AuthCovered.Values.SelectMany(a => a.Keys).ToHashSet();
        // No key, an unknown key, a junk bearer token, the bootstrap key; a key for every non-empty set of scopes; another tenant's.
        Assert.Equal(4 + ((1 << QuayGateway.Security.Scopes.All.Count) - 1) + 1, auths.Count);
        foreach (var operation in campaign.Document.Operations)
        {
            Assert.True(Report.AuthCovered.TryGetValue(operation.Name, out var covered), $"{operation.Name} was not fuzzed");
            Assert.True(covered.Count == auths.Count, $"{operation.Name} was fuzzed with {covered.Count} of {auths.Count} auth variants");
        }

        // Requests reach the handlers, not only the authorization: schema-valid ones with the right scopes succeed.
        Assert.True(Report.SuccessesChecked > Report.Sent / 20, $"only {Report.SuccessesChecked} of {Report.Sent} answers were successes");
    }

    [Fact]
    public void No_request_gets_a_server_error() =>
        Assert.True(Report.ServerErrors.IsEmpty, $"{Report.ServerErrors.Count} 5xx answers, e.g.:\n\n{string.Join("\n\n", Report.ServerErrors)}" +
            $"\n\nThe gateway's last log lines:\n{campaign.GatewayOutput}");

    [Fact]
    public void Every_error_answer_is_a_problem_with_a_type() =>
        Assert.True(Report.NotProblems.IsEmpty, $"{Report.NotProblems.Count} error answers are not RFC 9457 problems with a type, e.g.:\n\n{string.Join("\n\n", Report.NotProblems)}");

    [Fact]
    public void Every_request_gets_an_answer() =>
        Assert.True(Report.NoAnswers.IsEmpty, $"{Report.NoAnswers.Count} requests got no answer, e.g.:\n\n{string.Join("\n\n", Report.NoAnswers)}");

    [Fact]
    public void The_gateway_is_alive_after_the_campaign() =>
        Assert.True(campaign.AliveAtTheEnd, $"the gateway did not answer /readyz after the campaign:\n{campaign.GatewayOutput}");

    /// <summary>Separate from the facts above: the document can be untruthful without the gateway being broken.</summary>
    [Fact]
    public void Every_successful_answer_matches_the_document()
    {
        Assert.True(Report.SuccessesChecked > 0);
        Assert.True(Report.SchemaViolations.IsEmpty,
            $"{Report.SchemaViolations.Count} kinds of successful answers do not match openapi/quay-gateway.v1.json:\n{Report.SchemaViolationsText()}");
    }
}
