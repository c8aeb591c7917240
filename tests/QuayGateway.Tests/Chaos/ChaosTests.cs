using Xunit.Abstractions;

namespace QuayGateway.Tests.Chaos;

/// <summary>
/// The chaos suite's short run in CI: every scenario with small counts, each against its own PostgreSQL, sandbox and
/// gateway processes. The full run with the figures is <c>dotnet run -c Release --project tests/QuayGateway.Benchmarks -- chaos</c>.
/// One collection, so the scenarios take turns instead of piling their processes onto the machine at once.
/// </summary>
[Collection(Name)]
public sealed class ChaosTests(ITestOutputHelper output)
{
    public const string Name = "chaos";

    public static TheoryData<string> Scenarios() => [.. ChaosSuite.Scenarios.Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(Scenarios))]
    public async Task Scenario_holds_under_real_failures(string scenario)
    {
        var result = await ChaosSuite.RunAsync(scenario, isShort: true);

        output.WriteLine(result.ToJsonLine());
        Assert.True(result.Pass, result.ToString());
    }
}

[CollectionDefinition(ChaosTests.Name)]
public sealed class ChaosCollection;
