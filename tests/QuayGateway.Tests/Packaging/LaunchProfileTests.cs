using System.Text.Json.Nodes;

namespace QuayGateway.Tests.Packaging;

/// <summary>
/// The README's run command, <c>dotnet run --project src/QuayGateway</c>, takes the first launch profile: it must start
/// the gateway in Development (dev services, a generated admin key) on the port the README names.
/// </summary>
public sealed class LaunchProfileTests
{
    [Fact]
    public void The_default_launch_profile_runs_the_project_in_development_on_port_5000()
    {
        var profile = JsonNode.Parse(Repo.Read("src", "QuayGateway", "Properties", "launchSettings.json"))!["profiles"]!
            .AsObject().First().Value!;

        Assert.Equal("Project", (string?)profile["commandName"]);
        Assert.Equal("Development", (string?)profile["environmentVariables"]!["ASPNETCORE_ENVIRONMENT"]);
        Assert.Equal("http://localhost:5000", (string?)profile["applicationUrl"]);
        Assert.Contains("http://localhost:5000/swagger", Repo.Read("README.md"), StringComparison.Ordinal);
    }
}
